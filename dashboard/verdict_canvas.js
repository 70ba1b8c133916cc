// One verdict's picture. With evidence (a JPEG crop of the item and its mask outline in crop
// pixels) the canvas shows the crop, scaled to fit, with the outline drawn on it (green accepted /
// red rejected); canvas.dataset.picture says 'crop' once it is drawn. Without evidence (older
// senders, a crop dropped to fit the server's limit) it draws the mask polygon and the dashed bbox
// on a dark tile in frame pixels ('outline'). Fields: src/rvm_common/rvm_common/schemas/detection-completed.json.
window.RvmVerdictCanvas = (function () {
  'use strict';

  const colour = (d) => (d.accepted ? '#2fbf71' : '#e5484d');

  function outline(ctx, points, s, d, fill) {
    if (!Array.isArray(points) || points.length < 3) return;
    ctx.beginPath();
    points.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.closePath();
    if (fill) {
      ctx.fillStyle = d.accepted ? 'rgba(47,191,113,0.35)' : 'rgba(229,72,77,0.35)';
      ctx.fill();
    }
    ctx.lineWidth = 2 / s;
    ctx.strokeStyle = colour(d);
    ctx.stroke();
  }

  function tile(canvas) {
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#1d2733';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    return ctx;
  }

  function drawOutline(canvas, d) {
    const ctx = tile(canvas);
    const fw = (d.frame && d.frame.width) || 640, fh = (d.frame && d.frame.height) || 480;
    const s = Math.min(canvas.width / fw, canvas.height / fh);
    ctx.save();
    ctx.scale(s, s);
    outline(ctx, d.mask && d.mask.polygon, s, d, true);
    const b = d.bbox || {};
    if ([b.x1, b.y1, b.x2, b.y2].every((v) => typeof v === 'number')) {
      ctx.setLineDash([6 / s, 4 / s]);
      ctx.lineWidth = 1.5 / s;
      ctx.strokeStyle = '#f5f7fa';
      ctx.strokeRect(b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1);
    }
    ctx.restore();
    canvas.dataset.picture = 'outline';
  }

  function drawCrop(canvas, d, image) {
    const ev = d.evidence;
    const ctx = tile(canvas);
    const s = Math.min(canvas.width / image.width, canvas.height / image.height);
    const x0 = (canvas.width - image.width * s) / 2, y0 = (canvas.height - image.height * s) / 2;
    ctx.save();
    ctx.translate(x0, y0);
    ctx.scale(s, s);
    ctx.drawImage(image, 0, 0);
    outline(ctx, ev.polygon, s, d, false);
    ctx.restore();
    canvas.dataset.picture = 'crop';
  }

  function draw(canvas, d) {
    const ev = d.evidence;
    if (!ev || ev.format !== 'jpeg' || typeof ev.data !== 'string') {
      drawOutline(canvas, d);
      return;
    }
    drawOutline(canvas, d);                // until the crop is decoded (or if it cannot be)
    canvas.dataset.picture = 'loading';
    const image = new Image();
    image.onload = () => drawCrop(canvas, d, image);
    image.onerror = () => { canvas.dataset.picture = 'outline'; canvas.title = 'the crop could not be decoded'; };
    image.src = `data:image/jpeg;base64,${ev.data}`;
  }

  return { draw };
}());
