//! Gemini and Vertex AI embeddings (docs/parsing-rules-gemini.md, section 6; the twin is
//! `modelwire/parsing/pure/gemini_embeddings.py`): `embedContent`, `batchEmbedContents` and Vertex
//! `predict`, packed into one float32 buffer as the OpenAI-format parser packs float rows.

use crate::embeddings::{Embeddings, float_row};
use crate::error::{Checked, Fault, ParseError, Path};
use crate::fields::{self, ErrorField, opt_int, opt_object, wrong};
use crate::json::{Kind, Reader, Syn};
use crate::usage::Usage;

/// One shape's rows: the values of every row, and each row's place in them (or its fault).
#[derive(Default)]
struct Rows {
    values: Vec<f32>,
    rows: Vec<Checked<Row>>,
    tokens: Option<Checked<Option<i128>>>,
}

#[derive(Clone, Copy)]
struct Row {
    start: usize,
    len: usize,
    /// Where the row sits, for the width fault: `embedding`, `embeddings[i]` or `predictions[i].embeddings`.
    at: Place,
}

#[derive(Clone, Copy)]
enum Place {
    Single,
    Batch(usize),
    Prediction(usize),
}

impl Place {
    fn fault(self, message: String) -> Fault {
        let root = Path::ROOT;
        match self {
            Place::Single => root.key("embedding").key("values").fault(message),
            Place::Batch(i) => {
                let list = root.key("embeddings");
                list.index(i).key("values").fault(message)
            }
            Place::Prediction(i) => {
                let list = root.key("predictions");
                let item = list.index(i);
                item.key("embeddings").key("values").fault(message)
            }
        }
    }
}

/// The members of an object holding `values` (and, for a prediction, `statistics.token_count`).
fn container(
    r: &mut Reader<'_>,
    rows: &mut Rows,
    at: Place,
    path: &Path<'_>,
    statistics: bool,
) -> Syn<Checked<(Row, Checked<Option<i128>>)>> {
    let values_path = path.key("values");
    let mut row: Option<Checked<Row>> = None;
    let mut tokens = Ok(None);
    let stats_path = path.key("statistics");
    r.object(|r, key| {
        match &*key {
            "values" => {
                if let Some(Ok(Row { start, .. })) = row {
                    rows.values.truncate(start); // a repeated key replaces the row (orjson keeps the last)
                }
                let start = rows.values.len();
                let read = match r.kind()? {
                    Kind::Array => float_row(r, &mut rows.values, &values_path)?,
                    _ => Err(wrong(r, "an array", &values_path)?),
                };
                let len = rows.values.len() - start;
                row = Some(read.map(|()| Row { start, len, at }));
            }
            "statistics" if statistics => {
                let mut count = Ok(None);
                let present = opt_object(r, &stats_path, |r, key| {
                    if key == "token_count" {
                        count = opt_int(r, &stats_path.key("token_count"))?;
                        return Ok(());
                    }
                    r.skip()
                })?;
                tokens = present.and(count);
            }
            _ => r.skip()?,
        }
        Ok(())
    })?;
    let row = row.unwrap_or_else(|| Err(values_path.fault("missing required field")));
    Ok(row.map(|row| (row, tokens)))
}

fn list(r: &mut Reader<'_>, rows: &mut Rows, key: &'static str) -> Syn<Checked<bool>> {
    let path = Path::ROOT.key(key);
    Ok(match r.kind()? {
        Kind::Array => {
            let mut out = Vec::new();
            let mut tokens: Option<Checked<Option<i128>>> = None;
            r.array(|r, i| {
                let at = path.index(i);
                let item = if r.kind()? != Kind::Object {
                    Err(wrong(r, "an object", &at)?)
                } else if key == "embeddings" {
                    container(r, rows, Place::Batch(i), &at, false)?.map(|(row, _)| row)
                } else {
                    prediction(r, rows, i, &at, &mut tokens)?
                };
                out.push(item);
                Ok(())
            })?;
            rows.rows = out;
            rows.tokens = tokens;
            Ok(true)
        }
        Kind::Null => {
            r.null()?;
            Ok(false)
        }
        _ => Err(wrong(r, "an array", &path)?),
    })
}

/// A prediction: `embeddings` (a required object) holding the row and its token count, summed into
/// `tokens` (the first fault kept).
fn prediction(
    r: &mut Reader<'_>,
    rows: &mut Rows,
    i: usize,
    path: &Path<'_>,
    tokens: &mut Option<Checked<Option<i128>>>,
) -> Syn<Checked<Row>> {
    let at = path.key("embeddings");
    let mut found: Option<Checked<Row>> = None;
    r.object(|r, key| {
        if key != "embeddings" {
            return r.skip();
        }
        found = Some(if r.kind()? == Kind::Object {
            container(r, rows, Place::Prediction(i), &at, true)?.and_then(|(row, count)| {
                let count = count?;
                let total = tokens.get_or_insert(Ok(None));
                if let (Ok(sum), Some(count)) = (total.as_mut(), count) {
                    *sum = Some(sum.unwrap_or(0).saturating_add(count));
                }
                Ok(row)
            })
        } else {
            Err(wrong(r, "an object", &at)?)
        });
        Ok(())
    })?;
    Ok(found.unwrap_or_else(|| Err(at.fault("missing required field"))))
}

/// Reads the three shapes (each into its own rows) and the usage, then checks in the twin's order.
fn read_object(r: &mut Reader<'_>) -> Syn<Checked<Embeddings<'static>>> {
    let root = Path::ROOT;
    let (mut single, mut batch, mut predictions) =
        (Rows::default(), Rows::default(), Rows::default());
    let mut present = [None::<Checked<bool>>, None, None];
    let mut prompt: Option<Checked<Option<i128>>> = None;
    let mut usage_type: Option<Checked<bool>> = None;
    let mut error = ErrorField::Absent;
    r.object(|r, key| {
        match &*key {
            "embedding" => {
                let path = root.key("embedding");
                single = Rows::default();
                present[0] = Some(match r.kind()? {
                    Kind::Object => {
                        let row = container(r, &mut single, Place::Single, &path, false)?;
                        single.rows = vec![row.map(|(row, _)| row)];
                        Ok(true)
                    }
                    Kind::Null => r.null().map(|_| Ok(false))?,
                    _ => Err(wrong(r, "an object", &path)?),
                });
            }
            "embeddings" => {
                batch = Rows::default();
                present[1] = Some(list(r, &mut batch, "embeddings")?);
            }
            "predictions" => {
                predictions = Rows::default();
                present[2] = Some(list(r, &mut predictions, "predictions")?);
            }
            "usageMetadata" => {
                let path = root.key("usageMetadata");
                let mut count = Ok(None);
                let read = opt_object(r, &path, |r, key| {
                    if key == "promptTokenCount" {
                        count = opt_int(r, &path.key("promptTokenCount"))?;
                        return Ok(());
                    }
                    r.skip()
                })?;
                usage_type = Some(read.clone());
                prompt = Some(read.and(count));
            }
            "error" => error = fields::error_field(r)?,
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok((|| {
        let [single_present, batch_present, predictions_present] =
            present.map(|p| p.unwrap_or(Ok(false)));
        let (single_present, batch_present, predictions_present) =
            (single_present?, batch_present?, predictions_present?);
        usage_type.unwrap_or(Ok(false))?;
        let prompt = prompt.unwrap_or(Ok(None))?;
        let chosen = if single_present {
            single
        } else if batch_present {
            batch
        } else if predictions_present {
            predictions
        } else {
            if let ErrorField::Text(text) = &error {
                return Err(root.key("error").fault(format!(
                    "the response holds an error instead of a result: {text}"
                )));
            }
            return Err(root.key("embeddings").fault("missing required field"));
        };
        let rows = chosen.rows.into_iter().collect::<Checked<Vec<Row>>>()?;
        let tokens = chosen.tokens.unwrap_or(Ok(None))?;
        let dimensions = rows.first().map_or(0, |row| row.len);
        for row in &rows {
            if row.len != dimensions {
                return Err(row.at.fault(format!(
                    "embedding has {} values, expected {dimensions}",
                    row.len
                )));
            }
        }
        let mut values = chosen.values;
        let in_order = rows
            .iter()
            .enumerate()
            .all(|(i, row)| row.start == i * dimensions);
        if !in_order || values.len() != rows.len() * dimensions {
            let mut packed = Vec::with_capacity(rows.len() * dimensions);
            for row in &rows {
                packed.extend_from_slice(
                    values
                        .get(row.start..row.start + row.len)
                        .unwrap_or_default(),
                );
            }
            values = packed;
        }
        let input = prompt.or(tokens);
        Ok(Embeddings {
            values,
            count: rows.len(),
            dimensions,
            model: None,
            usage: input.map(|n| Usage {
                input_tokens: Some(n),
                total_tokens: Some(n),
                ..Usage::default()
            }),
            skipped: Vec::new(),
        })
    })())
}

/// Parses an `embedContent`, `batchEmbedContents` or Vertex `predict` body.
pub fn parse_gemini_embeddings(body: &[u8]) -> Result<Embeddings<'static>, ParseError> {
    let mut r = fields::open(body)?;
    let result = read_object(&mut r);
    fields::close(&mut r, body, result)
}
