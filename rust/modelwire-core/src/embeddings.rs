//! OpenAI-format embeddings into one float32 buffer (docs/parsing-rules.md, section 4).

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::error::{Checked, Fault, ParseError, Path};
use crate::fields::{self, ErrorField, lax, opt_int, opt_str, wrong};
use crate::json::{Kind, Reader, Syn};
use crate::usage::{Usage, read_usage};

/// Rows of float32 values, row-major, each `dimensions` long, placed by the provider's `index`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Embeddings<'a> {
    pub values: Vec<f32>,
    pub count: usize,
    pub dimensions: usize,
    pub model: Option<Cow<'a, str>>,
    pub usage: Option<Usage>,
    /// Paths of the optional fields that could not be read and were left out, sorted.
    pub skipped: Vec<String>,
}

// Canonical padding, as the twin's check; bits the last character carries beyond the data may be set
// (Python's decoder ignores them too).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// Where one row's values sit in the shared vector.
#[derive(Clone, Copy)]
struct Row {
    start: usize,
    len: usize,
}

struct Item {
    index: Checked<Option<i128>>,
    row: Option<Checked<Row>>,
}

pub(crate) fn float_row(
    r: &mut Reader<'_>,
    values: &mut Vec<f32>,
    path: &Path<'_>,
) -> Syn<Checked<()>> {
    let start = values.len();
    // As the twin: a value that is not a number is reported before any value out of float32 range.
    let (mut not_number, mut out_of_range): (Option<Fault>, Option<Fault>) = (None, None);
    if !r.begin_array()? {
        return Ok(Ok(()));
    }
    // Runs of plain numbers take the fast loop; any other element is read here, one value each.
    while !r.float32_run(values)? {
        let j = values.len() - start;
        if r.kind()? == Kind::Number {
            let single = r.float()? as f32;
            if single.is_infinite() && out_of_range.is_none() {
                out_of_range = Some(path.index(j).fault("embedding value out of float32 range"));
            }
            values.push(single);
        } else {
            let f = wrong(r, "a number", &path.index(j))?;
            not_number.get_or_insert(f);
            values.push(0.0);
        }
        if !r.more()? {
            break;
        }
    }
    Ok(not_number.or(out_of_range).map_or(Ok(()), Err))
}

fn base64_row(
    text: &str,
    values: &mut Vec<f32>,
    scratch: &mut Vec<u8>,
    path: &Path<'_>,
) -> Checked<()> {
    scratch.clear();
    if text.len() % 4 != 0 || BASE64.decode_vec(text, scratch).is_err() {
        return Err(path.fault("embedding is not valid base64"));
    }
    if scratch.len() % 4 != 0 {
        return Err(path.fault(format!(
            "embedding base64 holds {} bytes, not whole float32 values",
            scratch.len()
        )));
    }
    values.extend(
        scratch
            .chunks_exact(4)
            .filter_map(|c| c.try_into().ok())
            .map(f32::from_le_bytes),
    );
    Ok(())
}

fn item(
    r: &mut Reader<'_>,
    values: &mut Vec<f32>,
    scratch: &mut Vec<u8>,
    path: &Path<'_>,
) -> Syn<Checked<Item>> {
    if r.kind()? != Kind::Object {
        return Ok(Err(wrong(r, "an object", path)?));
    }
    let mut index = Ok(None);
    let mut row = None;
    let row_path = path.key("embedding");
    r.object(|r, key| {
        match &*key {
            "index" => index = opt_int(r, &path.key("index"))?,
            "embedding" => {
                // A repeated key replaces the earlier row, as orjson keeps the last value.
                if let Some(Ok(Row { start, .. })) = row {
                    values.truncate(start);
                }
                let start = values.len();
                let read = match r.kind()? {
                    Kind::Array => float_row(r, values, &row_path)?,
                    Kind::String => {
                        let text = r.string()?;
                        base64_row(&text, values, scratch, &row_path)
                    }
                    _ => Err(wrong(r, "an array or a string", &row_path)?),
                };
                row = Some(read.map(|()| Row {
                    start,
                    len: values.len() - start,
                }));
            }
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok(Ok(Item { index, row }))
}

/// Places the rows by index, checking indexes and widths in array order (the twin's order).
fn assemble(items: Vec<Checked<Item>>, values: Vec<f32>) -> Checked<(Vec<f32>, usize)> {
    let count = items.len();
    let mut placed: Vec<Option<Row>> = vec![None; count];
    let mut dimensions: Option<usize> = None;
    let mut in_order = true;
    let root = Path::ROOT.key("data");
    for (position, item) in items.into_iter().enumerate() {
        let path = root.index(position);
        let Item { index, row } = item?;
        let index = index?.unwrap_or(position as i128);
        let slot = usize::try_from(index).ok().filter(|i| *i < count);
        let Some(slot) = slot else {
            return Err(path.key("index").fault(format!(
                "embedding index {index} is out of range for {count} rows"
            )));
        };
        if placed.get(slot).is_some_and(Option::is_some) {
            return Err(path
                .key("index")
                .fault(format!("embedding index {index} appears twice")));
        }
        let row = row.ok_or_else(|| path.key("embedding").fault("missing required field"))??;
        let width = *dimensions.get_or_insert(row.len);
        if row.len != width {
            return Err(path.key("embedding").fault(format!(
                "embedding has {} values, expected {width}",
                row.len
            )));
        }
        in_order &= slot == position;
        if let Some(p) = placed.get_mut(slot) {
            *p = Some(row);
        }
    }
    let dimensions = dimensions.unwrap_or(0);
    if in_order && values.len() == count * dimensions {
        return Ok((values, dimensions));
    }
    let mut ordered = Vec::with_capacity(count * dimensions);
    for row in placed.into_iter().flatten() {
        ordered.extend_from_slice(
            values
                .get(row.start..row.start + row.len)
                .unwrap_or_default(),
        );
    }
    Ok((ordered, dimensions))
}

/// After the first row: room for as many more rows as the rest of the body can hold at that size,
/// so the vector does not grow (and copy) twenty times on a large response.
fn reserve_rows(values: &mut Vec<f32>, first_row_bytes: usize, remaining_bytes: usize) {
    let rows = remaining_bytes / first_row_bytes.max(1);
    let wanted = rows.saturating_mul(values.len()).min(remaining_bytes);
    values.reserve(wanted.saturating_sub(values.len()));
}

fn read_object<'a>(r: &mut Reader<'a>) -> Syn<Checked<Embeddings<'a>>> {
    let root = Path::ROOT;
    let (mut values, mut scratch) = (Vec::new(), Vec::new());
    let mut items: Option<Checked<Option<Vec<Checked<Item>>>>> = None;
    let mut model = Ok(None);
    let mut usage = (None, Vec::new());
    let mut error = ErrorField::Absent;
    r.object(|r, key| {
        match &*key {
            "data" => {
                let data_path = root.key("data");
                items = Some(match r.kind()? {
                    Kind::Array => {
                        values.clear();
                        let mut list = Vec::new();
                        let start = r.offset();
                        r.array(|r, i| {
                            list.push(item(r, &mut values, &mut scratch, &data_path.index(i))?);
                            if i == 0 {
                                reserve_rows(
                                    &mut values,
                                    r.offset() - start,
                                    r.bytes().len() - start,
                                );
                            }
                            Ok(())
                        })?;
                        Ok(Some(list))
                    }
                    Kind::Null => r.null().map(|_| Ok(None))?,
                    _ => Err(wrong(r, "an array", &data_path)?),
                });
            }
            "model" => model = opt_str(r, &root.key("model"))?,
            "usage" => {
                let mut skipped = Vec::new();
                usage = (read_usage(r, &root.key("usage"), &mut skipped)?, skipped);
            }
            "error" => error = fields::error_field(r)?,
            _ => r.skip()?,
        }
        Ok(())
    })?;
    let present = items.is_some();
    Ok((|| {
        let Some(items) = items.transpose()?.flatten() else {
            return Err(fields::missing_array(&error, present, "data"));
        };
        let count = items.len();
        let (values, dimensions) = assemble(items, values)?;
        let (usage, mut skipped) = usage;
        let model = lax(model, &root.key("model"), &mut skipped);
        skipped.sort_unstable();
        Ok(Embeddings {
            values,
            count,
            dimensions,
            model,
            usage,
            skipped,
        })
    })())
}

/// Parses an embeddings body.
pub fn parse_embeddings(body: &[u8]) -> Result<Embeddings<'_>, ParseError> {
    let mut r = fields::open(body)?;
    let result = read_object(&mut r);
    fields::close(&mut r, body, result)
}
