// One verdict's picture: the frame area, the mask polygon (green accepted / red rejected) and the dashed
// bbox, scaled into the canvas. Coordinates are the event's frame pixels (src/rvm_common/rvm_common/schemas/detection-completed.json).
window.RvmVerdictCanvas = (function () {
  'use strict';

  function draw(canvas, d) {
    const ctx = canvas.getContext('2d');
    const fw = (d.frame && d.frame.width) || 640, fh = (d.frame && d.frame.height) || 480;
    const s = Math.min(canvas.width / fw, canvas.height / fh);
    ctx.fillStyle = '#1d2733';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.save();
    ctx.scale(s, s);
    const color = d.accepted ? '#2fbf71' : '#e5484d';
    const mask = d.mask && Array.isArray(d.mask.polygon) ? d.mask.polygon : [];
    if (mask.length >= 3) {
      ctx.beginPath();
      mask.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.closePath();
      ctx.fillStyle = d.accepted ? 'rgba(47,191,113,0.35)' : 'rgba(229,72,77,0.35)';
      ctx.fill();
      ctx.lineWidth = 2 / s;
      ctx.strokeStyle = color;
      ctx.stroke();
    }
    const b = d.bbox || {};
    if ([b.x1, b.y1, b.x2, b.y2].every((v) => typeof v === 'number')) {
      ctx.setLineDash([6 / s, 4 / s]);
      ctx.lineWidth = 1.5 / s;
      ctx.strokeStyle = '#f5f7fa';
      ctx.strokeRect(b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1);
    }
    ctx.restore();
  }

  return { draw };
}());
