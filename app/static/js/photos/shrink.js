// A photo is made small on the phone before it is kept or sent: its capture time read from the
// JPEG's EXIF (the canvas drops EXIF), then shrunk to the long edge the server keeps.
//
// 1600 px at JPEG quality 0.6 keeps 9-point print legible on an A4 page that fills the frame
// (about 5 px per mm), and a photo is about 250 KB: three go over a 400 kbit/s link in 15 s.
// The report prints photos at 1024 px.

const JPEG_QUALITY = 0.6;
const EXIF_PROBE_BYTES = 256 * 1024;
// A JPEG that already fits is sent untouched: re-encoding it would only lose quality.
const SEND_AS_IS_BYTES = 2.5 * 1024 * 1024;

function readCaptureTime(buffer) {
  const view = new DataView(buffer);
  if (view.byteLength < 4 || view.getUint16(0) !== 0xffd8) return null;
  let offset = 2;
  while (offset + 4 <= view.byteLength) {
    const marker = view.getUint16(offset);
    if ((marker & 0xff00) !== 0xff00 || marker === 0xffda || marker === 0xffd9) return null;
    const length = view.getUint16(offset + 2);
    if (marker === 0xffe1 && length > 8 && offset + 10 <= view.byteLength &&
        view.getUint32(offset + 4) === 0x45786966 && view.getUint16(offset + 8) === 0) {
      return exifTime(view, offset + 10, Math.min(view.byteLength, offset + 2 + length));
    }
    offset += 2 + length;
  }
  return null;
}

function exifTime(view, tiff, end) {
  const order = view.getUint16(tiff);
  const little = order === 0x4949;
  if (!little && order !== 0x4d4d) return null;
  const u16 = (at) => view.getUint16(at, little);
  const u32 = (at) => view.getUint32(at, little);
  const entries = (ifdOffset) => {
    const found = {};
    const at = tiff + ifdOffset;
    if (at + 2 > end) return found;
    const count = u16(at);
    for (let i = 0; i < count; i++) {
      const entry = at + 2 + i * 12;
      if (entry + 12 > end) break;
      found[u16(entry)] = { type: u16(entry + 2), count: u32(entry + 4), at: entry + 8 };
    }
    return found;
  };
  const ascii = (entry) => {
    if (!entry || entry.type !== 2) return null;
    const start = entry.count <= 4 ? entry.at : tiff + u32(entry.at);
    if (start + entry.count > end) return null;
    let text = "";
    for (let i = 0; i < entry.count; i++) {
      const code = view.getUint8(start + i);
      if (!code) break;
      text += String.fromCharCode(code);
    }
    return text;
  };
  const ifd0 = entries(u32(tiff + 4));
  const exif = ifd0[0x8769] ? entries(u32(ifd0[0x8769].at)) : {};
  const raw = ascii(exif[0x9003]) || ascii(ifd0[0x0132]);
  const parts = raw && /^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})/.exec(raw);
  if (!parts || parts[1] === "0000") return null;
  const iso = `${parts[1]}-${parts[2]}-${parts[3]}T${parts[4]}:${parts[5]}:${parts[6]}`;
  const zone = ascii(exif[0x9011]);
  return zone && /^[+-]\d{2}:\d{2}$/.test(zone) ? iso + zone : iso;
}

async function captureTimeOf(file) {
  if (!file.slice || file.type !== "image/jpeg") return null;
  try {
    return readCaptureTime(await file.slice(0, EXIF_PROBE_BYTES).arrayBuffer());
  } catch (error) {
    return null;
  }
}

/**
 * Shrink to maxEdge on the long edge as JPEG, orientation applied. Resolves to the Blob to send:
 * the file itself when it already fits or the browser cannot decode it (HEIC in most browsers).
 */
export async function downscale(file, maxEdge, quality = JPEG_QUALITY) {
  if (typeof createImageBitmap !== "function") return file;
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch (error) {
    return file;
  }
  const scale = Math.min(1, maxEdge / Math.max(bitmap.width, bitmap.height));
  if (scale === 1 && file.type === "image/jpeg" && file.size <= SEND_AS_IS_BYTES) {
    bitmap.close();
    return file;
  }
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  const context = canvas.getContext("2d");
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = "high";
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return new Promise((resolve) => canvas.toBlob((blob) => resolve(blob || file), "image/jpeg", quality));
}

/** A chosen photo made ready to keep: shrunk, with the capture time read before the canvas dropped it. */
export async function preparePhoto(file, maxEdge) {
  const takenAt = await captureTimeOf(file);
  return { blob: await downscale(file, maxEdge), takenAt };
}
