//! Image payloads: data URIs and MIME types (as `modelwire/parsing/pure/_media.py`).

use std::borrow::Cow;

use crate::error::slice;

/// One image: inline base64 and/or a URL, its MIME type, the revised prompt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Image<'a> {
    pub b64_data: Option<Cow<'a, str>>,
    pub mime_type: Option<Cow<'a, str>>,
    pub url: Option<Cow<'a, str>>,
    pub revised_prompt: Option<Cow<'a, str>>,
}

const MAGIC: [(&str, &str); 4] = [
    ("iVBORw0KGgo", "image/png"),
    ("/9j/", "image/jpeg"),
    ("UklGR", "image/webp"),
    ("R0lGOD", "image/gif"),
];

/// The MIME type told by the first base64 characters of the data.
pub fn sniff_mime(b64_data: &str) -> Option<&'static str> {
    MAGIC
        .iter()
        .find(|(prefix, _)| b64_data.starts_with(prefix))
        .map(|(_, mime)| *mime)
}

/// The MIME type an images endpoint's `output_format` names.
pub fn mime_from_format(format: &str) -> Option<&'static str> {
    Some(match format {
        "png" => "image/png",
        "jpeg" | "jpg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        _ => return None,
    })
}

const BASE64_MARK: &str = ";base64,";

/// Raw base64 (a `data:` URI is unwrapped), its MIME type sniffed from the data.
pub fn image_from_base64(data: Cow<'_, str>) -> Image<'_> {
    if data.starts_with("data:") {
        return image_from_url(data);
    }
    let mime = sniff_mime(&data).map(Cow::Borrowed);
    Image {
        b64_data: Some(data),
        mime_type: mime,
        ..Image::default()
    }
}

/// `data:<mime>;base64,<data>` becomes inline base64; any other URL stays a URL.
pub fn image_from_url(url: Cow<'_, str>) -> Image<'_> {
    if url.starts_with("data:") {
        if let Some(mark) = url.find(BASE64_MARK) {
            let data = slice(&url, mark + BASE64_MARK.len(), None);
            let head = url.get(5..mark).unwrap_or_default();
            let mime_end = 5 + head.find(';').unwrap_or(head.len());
            let mime = slice(&url, 5, Some(mime_end)).filter(|m| !m.is_empty());
            let mime = mime.or_else(|| data.as_deref().and_then(sniff_mime).map(Cow::Borrowed));
            return Image {
                b64_data: data,
                mime_type: mime,
                ..Image::default()
            };
        }
    }
    Image {
        url: Some(url),
        ..Image::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_uris() {
        let image = image_from_url(Cow::Borrowed("data:image/webp;name=x;base64,UklGRabc"));
        assert_eq!(image.b64_data.as_deref(), Some("UklGRabc"));
        assert_eq!(image.mime_type.as_deref(), Some("image/webp"));
        let sniffed = image_from_url(Cow::Owned("data:;base64,/9j/4A".into()));
        assert_eq!(sniffed.mime_type.as_deref(), Some("image/jpeg"));
        let plain = image_from_url(Cow::Borrowed("https://x/y.png"));
        assert_eq!(plain.url.as_deref(), Some("https://x/y.png"));
        assert_eq!(plain.b64_data, None);
    }
}
