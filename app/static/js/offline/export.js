// 导出为文件: this user's waiting entries as a file an admin imports (管理 → 手机导出文件).

import { element } from "../lib/common.js";
import { Kind } from "../lib/phone.js";
import * as Sync from "./sync.js";

const EXPORT_FORMAT = "assessment-outbox";

function blobToDataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

/**
 * Save the file. A caption typed on a photo that is itself still waiting goes into the photo's
 * entry, since the photo has no id on the server yet.
 */
export async function exportWaiting(user) {
  const own = (await Sync.waitingFor(user)).map((entry) => ({ ...entry, payload: { ...entry.payload } }));
  const photos = new Map(own.filter((e) => e.kind === Kind.photo).map((e) => [e.mutation_id, e]));
  const exported = [];
  for (const entry of own) {
    const photo = entry.kind === Kind.caption && photos.get(entry.payload.photo_mutation_id);
    if (photo) {
      photo.payload.caption = entry.payload.caption;
      continue;
    }
    if (entry.blob) entry.blob = await blobToDataUrl(entry.blob);
    exported.push(entry);
  }
  const body = {
    format: EXPORT_FORMAT,
    version: 1,
    exported_at: new Date().toISOString(),
    exported_by: user.username,
    entries: exported,
  };
  const file = new Blob([JSON.stringify(body, null, 1)], { type: "application/json" });
  const link = element("a");
  link.href = URL.createObjectURL(file);
  link.download = `outbox-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-")}.json`;
  document.body.append(link);
  link.click();
  link.remove();
}
