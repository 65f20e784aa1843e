/**
 * The latest image of an EO Request node under it on the canvas, for nodes with "Show the image
 * under the node" on. The runtime sends each PNG or JPEG result (or why it refused one) on the
 * comms topic eo-request/thumbnail; here it is scaled down once, kept per node for this editor
 * session, and drawn by Node-RED's view hooks, so it survives redraws and tab switches. Unticking
 * the option hides it at the next redraw.
 */
(function () {
  'use strict';
  if (window.EoNodesThumbnails) return;

  var SVG_NS = 'http://www.w3.org/2000/svg';
  /** The largest drawn size, in canvas pixels; the status line sits above it. */
  var MAX_WIDTH = 160;
  var MAX_HEIGHT = 160;
  var GAP_BELOW_NODE = 20;
  var latest = {}; // node id → { href, width, height } or { note }

  function t(key, substitutions) {
    var def = RED.nodes.getType('eo-request');
    return def ? def._('eo-request.thumbnail.' + key, substitutions) : key;
  }

  function megabytes(bytes) {
    return (bytes / (1024 * 1024)).toFixed(1);
  }

  /** Scales an image down to fit MAX_WIDTH × MAX_HEIGHT (never up) and keeps only the small copy. */
  function shrink(id, message) {
    var image = new Image();
    image.onload = function () {
      var scale = Math.min(1, MAX_WIDTH / image.naturalWidth, MAX_HEIGHT / image.naturalHeight);
      var width = Math.max(1, Math.round(image.naturalWidth * scale));
      var height = Math.max(1, Math.round(image.naturalHeight * scale));
      var canvas = document.createElement('canvas');
      canvas.width = width;
      canvas.height = height;
      canvas.getContext('2d').drawImage(image, 0, 0, width, height);
      latest[id] = { href: canvas.toDataURL('image/png'), width: width, height: height, source: [message.width, message.height] };
      RED.view.redraw();
    };
    image.onerror = function () {
      latest[id] = { note: t('unreadable') };
      RED.view.redraw();
    };
    image.src = 'data:' + message.type + ';base64,' + message.data;
  }

  function draw(node, el) {
    if (!el || node.type !== 'eo-request') return;
    var shown = el.querySelector(':scope > .eo-thumbnail');
    var item = node.thumbnail ? latest[node.id] : undefined;
    if (!item) {
      if (shown) shown.remove();
      return;
    }
    if (shown && shown.__item__ === item && shown.__top__ === node.h) return;
    if (shown) shown.remove();
    var g = document.createElementNS(SVG_NS, 'g');
    g.setAttribute('class', 'eo-thumbnail');
    g.setAttribute('transform', 'translate(0,' + (node.h + GAP_BELOW_NODE) + ')');
    g.__item__ = item;
    g.__top__ = node.h;
    if (item.href) {
      var image = document.createElementNS(SVG_NS, 'image');
      image.setAttribute('href', item.href);
      image.setAttribute('width', item.width);
      image.setAttribute('height', item.height);
      image.setAttribute('data-source-size', item.source.join('x'));
      var frame = document.createElementNS(SVG_NS, 'rect');
      frame.setAttribute('width', item.width);
      frame.setAttribute('height', item.height);
      frame.setAttribute('fill', 'none');
      frame.setAttribute('stroke', '#999');
      g.appendChild(image);
      g.appendChild(frame);
    } else {
      var text = document.createElementNS(SVG_NS, 'text');
      text.setAttribute('class', 'red-ui-flow-node-status-label');
      text.setAttribute('y', 10);
      text.textContent = item.note;
      g.appendChild(text);
    }
    el.appendChild(g);
  }

  RED.comms.subscribe('eo-request/thumbnail', function (topic, message) {
    if (!message || typeof message.id !== 'string') return;
    if (message.refused) {
      var size = message.refused.reason === 'bytes' ? megabytes(message.bytes) + ' MB' : message.width + ' × ' + message.height + ' px';
      var limit = message.refused.reason === 'bytes' ? megabytes(message.refused.limit) + ' MB' : message.refused.limit + ' px';
      latest[message.id] = { note: t('refused', { size: size, limit: limit }) };
      RED.view.redraw();
    } else if (message.data) {
      shrink(message.id, message);
    }
  });
  RED.hooks.add('viewAddNode.eo-thumbnails', function (evt) {
    draw(evt.node, evt.el);
  });
  RED.hooks.add('viewRedrawNode.eo-thumbnails', function (evt) {
    draw(evt.node, evt.el);
  });

  window.EoNodesThumbnails = {
    /** What is kept for node `id` (for tests and other scripts). */
    latest: function (id) {
      return latest[id];
    },
  };
})();
