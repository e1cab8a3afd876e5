//! Photos: uploaded, given by URL, or sent again by file id.

use super::{ApiErr, Params};
use crate::fakegram::UploadedFile;
use crate::fakegram::model::{StoredPhoto, looks_like_image, png_size};
use crate::fakegram::state::State;

/// The photo of a `sendPhoto`: an uploaded file (teloxide sends
/// `photo=attach://<part>`; the server resolved that to field "photo"), an
/// HTTP URL, or the file id of an earlier upload.
pub(super) fn resolve_photo(
    st: &mut State,
    p: &Params,
    files: &[UploadedFile],
) -> Result<StoredPhoto, ApiErr> {
    let n = st.next_file;
    let new_ids = || (format!("AgACAgIAAxkDAAIB{n:010}"), format!("AQAD{n:06}"));
    if let Some(upload) = files.iter().find(|f| f.field == "photo") {
        if upload.bytes.is_empty() || !looks_like_image(&upload.bytes) {
            return Err(ApiErr::bad("IMAGE_PROCESS_FAILED"));
        }
        st.next_file += 1;
        let (file_id, file_unique_id) = new_ids();
        let (width, height) = png_size(&upload.bytes).unwrap_or((0, 0));
        return Ok(StoredPhoto {
            file_id,
            file_unique_id,
            width,
            height,
            bytes: Some(std::sync::Arc::new(upload.bytes.clone())),
            url: None,
        });
    }
    let reference = p
        .str("photo")
        .ok_or_else(|| ApiErr::bad("there is no photo in the request"))?;
    if reference.starts_with("attach://") {
        return Err(ApiErr::bad("there is no photo in the request"));
    }
    if reference.starts_with("http://") || reference.starts_with("https://") {
        st.next_file += 1;
        let (file_id, file_unique_id) = new_ids();
        return Ok(StoredPhoto {
            file_id,
            file_unique_id,
            width: 0,
            height: 0,
            bytes: None,
            url: Some(reference),
        });
    }
    st.files
        .get(&reference)
        .cloned()
        .ok_or_else(|| ApiErr::exact(400, "Bad Request: wrong file identifier/HTTP URL specified"))
}
