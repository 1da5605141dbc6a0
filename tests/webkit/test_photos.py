"""WebKit: a photo taken with the server stopped reaches it once it is back, and where WebKit's
session cannot keep photos on the phone the item says so before the photo is taken."""

from PIL import Image
from selenium.webdriver.common.by import By

from app.extensions import db
from app.models import Finding
from tests.webkit.conftest import log_in, wait_for
from tests.webkit.test_offline import restart
from tests.webkit.test_walk import visible

# The same question the outbox asks before a photo is taken, in a database of its own.
KEEPS_PHOTOS = """
const done = arguments[arguments.length - 1];
const opened = indexedDB.open("webkit-photo-probe", 1);
opened.onupgradeneeded = () => opened.result.createObjectStore("blobs", { autoIncrement: true });
opened.onerror = () => done(false);
opened.onsuccess = () => {
  try {
    const tx = opened.result.transaction("blobs", "readwrite");
    tx.objectStore("blobs").add(new Blob(["probe"], { type: "text/plain" }));
    tx.oncomplete = () => done(true);
    tx.onerror = () => done(false);
    tx.onabort = () => done(false);
  } catch (error) {
    done(false);
  }
};
"""


def stored_photos(server, assessment_id: int, item_id: str) -> int:
    with server.app.app_context():
        query = db.select(Finding).filter_by(assessment_id=assessment_id, item_id=item_id)
        finding = db.session.scalar(query)
        return len(finding.photos) if finding else 0


def test_a_photo_taken_in_webkit_with_the_server_stopped_reaches_it_once_it_is_back(
    webkit, demo_data, tmp_path
):
    photo = tmp_path / "extinguisher.jpg"
    Image.new("RGB", (1600, 1200), (180, 60, 50)).save(photo, quality=90)
    log_in(webkit, demo_data.url, "assessor1")
    wait_for(webkit, lambda d: d.find_element(By.PARTIAL_LINK_TEXT, "上海市机电"), "the home page").click()
    wait_for(webkit, lambda d: "/items/" in d.current_url, "the walk opens at an item")
    wait_for(webkit, visible(".offline-status.ready"), "the assessment kept on the phone", timeout=60)
    base, item_id = webkit.current_url.rsplit("/items/", 1)
    assessment_id = int(base.rsplit("/", 1)[1])

    if not webkit.execute_async_script(KEEPS_PHOTOS):
        warning = wait_for(webkit, visible(".photo-memory-warning"), "the warning before a photo is taken")
        assert "无法在本机保存照片" in warning.text
    else:
        assert not webkit.find_elements(By.CSS_SELECTOR, ".photo-memory-warning")

    demo_data.shutdown()
    back = None
    try:
        webkit.find_element(By.CSS_SELECTOR, "label[for=outcome-zero]").click()
        webkit.find_element(By.CSS_SELECTOR, "[data-photos] input[multiple]").send_keys(str(photo))
        wait_for(webkit, visible(".photo-job[data-state=queued]"), "the photo waits on the phone", timeout=40)
        assert stored_photos(demo_data, assessment_id, item_id) == 0

        back = restart(demo_data)
        wait_for(webkit, visible(".photo-job[data-state=saved]"), "the photo uploaded", timeout=90)
        assert stored_photos(demo_data, assessment_id, item_id) == 1
    finally:
        if back is not None:
            back.shutdown()
