//! Shapefile sets: `.shp`/`.shx`/`.dbf` through the `shapefile` and `dbase` crates, text in UTF-8 said by a
//! `.cpg`, the CRS in a `.prj`. dBase limits: field names of at most ten ASCII characters (long names shortened
//! by `dbf_name`, listed in the README) and text of at most 254 bytes (longer text is cut at a character
//! boundary; the GeoPackage and GeoJSON keep it whole).

use super::{FIXED_DATE, FieldType, Layer, crs_definition, number_of, text_of};
use dbase::{FieldName, FieldValue, Record, TableWriterBuilder};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

/// dBase's longest character field.
const MAX_TEXT_BYTES: usize = 254;

/// A property name as a dBase field name: as it is when it fits, else its known short form, else cut to ten.
pub fn dbf_name(name: &str) -> String {
    let short = match name {
        "micro_grids" => "micro_grid",
        "micro_grids_out_of_band" => "micro_out",
        "out_of_band" => "out_band",
        "certificate" => "certific",
        "households_per_worker" => "hh_per_wkr",
        n => n,
    };
    short.chars().filter(char::is_ascii).take(10).collect()
}

/// Text cut to dBase's limit at a character boundary.
fn fit(text: String) -> String {
    if text.len() <= MAX_TEXT_BYTES {
        return text;
    }
    let mut end = MAX_TEXT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// Writes `DIR/NAME.shp` (with `.shx`, `.dbf`, `.prj`, `.cpg`) for the layer; the files must not exist.
pub fn write_shapefile(dir: &Path, layer: &Layer) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let shp = dir.join(format!("{}.shp", layer.name));
    let err = |e: String| std::io::Error::other(format!("{}: {e}", shp.display()));
    let fields = layer.fields();
    let mut names: Vec<String> = Vec::with_capacity(fields.len());
    for f in &fields {
        // Two names that shorten alike get a number.
        let base = dbf_name(&f.name);
        let mut name = base.clone();
        let mut n = 1;
        while names.contains(&name) {
            n += 1;
            let tail = format!("{n}");
            name = format!("{}{tail}", &base[..base.len().min(10 - tail.len())]);
        }
        names.push(name);
    }
    let texts: Vec<Vec<Option<String>>> = layer
        .features
        .iter()
        .map(|(_, props)| {
            fields
                .iter()
                .map(|f| match f.kind {
                    FieldType::Text => props.get(&f.name).and_then(text_of).map(fit),
                    _ => None,
                })
                .collect()
        })
        .collect();
    let mut table = TableWriterBuilder::with_encoding(dbase::encoding::Unicode);
    for (i, (f, name)) in fields.iter().zip(&names).enumerate() {
        let field_name = FieldName::try_from(name.as_str()).map_err(|e| err(format!("field {name}: {e:?}")))?;
        table = match f.kind {
            FieldType::Integer => table.add_numeric_field(field_name, 18, 0),
            FieldType::Real => table.add_numeric_field(field_name, 19, 6),
            FieldType::Text => {
                let width = texts.iter().filter_map(|t| t[i].as_ref().map(String::len)).max().unwrap_or(1);
                table.add_character_field(field_name, width.clamp(1, MAX_TEXT_BYTES) as u8)
            }
        };
    }
    let mut writer = shapefile::Writer::from_path(&shp, table).map_err(|e| err(e.to_string()))?;
    for ((mp, props), text) in layer.features.iter().zip(&texts) {
        let mut record = Record::default();
        for ((f, name), t) in fields.iter().zip(&names).zip(text) {
            let v = props.get(&f.name).unwrap_or(&serde_json::Value::Null);
            let value = match f.kind {
                FieldType::Integer | FieldType::Real => FieldValue::Numeric(number_of(v)),
                FieldType::Text => FieldValue::Character(t.clone()),
            };
            record.insert(name.clone(), value);
        }
        let polygon = shapefile::Polygon::from((*mp).clone());
        writer.write_shape_and_record(&polygon, &record).map_err(|e| err(e.to_string()))?;
    }
    drop(writer);
    // dBase stores the day a table was written; the fixed date keeps a run's files byte-identical.
    let mut dbf = std::fs::OpenOptions::new().write(true).open(shp.with_extension("dbf"))?;
    dbf.seek(SeekFrom::Start(1))?;
    dbf.write_all(&[(FIXED_DATE.0 - 1900) as u8, FIXED_DATE.1 as u8, FIXED_DATE.2 as u8])?;
    dbf.sync_all()?;
    std::fs::write(shp.with_extension("prj"), crs_definition(layer.crs).2)?;
    std::fs::write(shp.with_extension("cpg"), "UTF-8")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_dbase() {
        for n in ["households", "micro_grids", "out_of_band", "certificate", "grid_id", "比例x"] {
            assert!(dbf_name(n).len() <= 10 && dbf_name(n).is_ascii(), "{n}");
        }
        assert_eq!(dbf_name("households"), "households");
        let long = "街".repeat(100);
        assert!(fit(long).len() <= MAX_TEXT_BYTES);
    }
}
