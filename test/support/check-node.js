// Fails fast when a test script runs on another Node major than it claims, so "tested on
// Node 20 and 24" cannot silently become "tested twice on one of them".
const wanted = Number(process.argv[2]);
const actual = Number(process.versions.node.split('.')[0]);
if (actual !== wanted) {
  console.error(`Expected Node ${wanted}, but ${process.execPath} is Node ${process.versions.node}.`);
  process.exit(1);
}
console.log(`Running on Node ${process.versions.node} (${process.execPath})`);
