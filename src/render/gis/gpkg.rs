//! GeoPackage 1.3 (OGC 12-128r15): the three required metadata tables, one feature table per layer with a
//! `fid` key and a `geom` column of GeoPackage blobs (header, envelope, little-endian WKB from `wkb`). No spatial
//! index: QGIS and GDAL read these layers fine without one, and an R-tree would make the file depend on SQLite's
//! page layout of its virtual tables.

use super::{FIXED_DATE, FieldType, Layer, crs_definition, number_of, text_of};
use geo::{BoundingRect, MultiPolygon};
use rusqlite::{Connection, params_from_iter, types::Value as Sql};
use std::path::Path;

/// "GPKG" as SQLite's application id, and the version 1.3.0 (what GDAL 3.6 and QGIS 3.x read without a warning).
const APPLICATION_ID: i32 = 0x4750_4B47;
const USER_VERSION: i32 = 10300;

/// Writes the layers into a new GeoPackage at `path` (which must not exist).
pub fn write_geopackage(path: &Path, layers: &[Layer]) -> std::io::Result<()> {
    write(path, layers).map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())))
}

fn write(path: &Path, layers: &[Layer]) -> rusqlite::Result<()> {
    let mut db = Connection::open(path)?;
    // One journal-free transaction: the file is staged, so a crash leaves only a staged file to discard.
    db.pragma_update(None, "journal_mode", "OFF")?;
    db.pragma_update(None, "application_id", APPLICATION_ID)?;
    db.pragma_update(None, "user_version", USER_VERSION)?;
    let tx = db.transaction()?;
    tx.execute_batch(
        "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, \
           organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, \
           description TEXT);
         CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, \
           identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME NOT NULL, \
           min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER, \
           CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
         CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, \
           geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, \
           CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), \
           CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name), \
           CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
         INSERT INTO gpkg_spatial_ref_sys VALUES \
           ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'), \
           ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system');",
    )?;
    let date = format!("{:04}-{:02}-{:02}T00:00:00.000Z", FIXED_DATE.0, FIXED_DATE.1, FIXED_DATE.2);
    for layer in layers {
        let (code, name, wkt) = crs_definition(layer.crs);
        // GCJ-02 and BD-09 get an SRS of their own (no EPSG code), numbered above EPSG's range.
        let srs_id = if code > 0 { code } else { 990_000 + layer.crs as i32 };
        let organization = if code > 0 { "EPSG" } else { "gridplan" };
        tx.execute(
            "INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![name, srs_id, organization, srs_id, wkt, name],
        )?;
        let fields = layer.fields();
        let columns: Vec<String> = fields
            .iter()
            .map(|f| {
                let t = match f.kind {
                    FieldType::Integer => "INTEGER",
                    FieldType::Real => "REAL",
                    FieldType::Text => "TEXT",
                };
                format!("{} {t}", quote(&f.name))
            })
            .collect();
        tx.execute_batch(&format!(
            "CREATE TABLE {} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom MULTIPOLYGON{}{});",
            quote(layer.name),
            if columns.is_empty() { "" } else { ", " },
            columns.join(", ")
        ))?;
        let extent = crate::model::bbox_of(layer.features.iter().map(|(mp, _)| mp.bounding_rect()));
        {
            let placeholders: Vec<String> = (0..=fields.len()).map(|i| format!("?{}", i + 1)).collect();
            let names: Vec<String> =
                std::iter::once("geom".to_string()).chain(fields.iter().map(|f| quote(&f.name))).collect();
            let mut insert = tx.prepare(&format!(
                "INSERT INTO {} ({}) VALUES ({})",
                quote(layer.name),
                names.join(", "),
                placeholders.join(", ")
            ))?;
            for (mp, props) in &layer.features {
                let mut values: Vec<Sql> = vec![Sql::Blob(blob(mp, srs_id))];
                for f in &fields {
                    let v = props.get(&f.name).unwrap_or(&serde_json::Value::Null);
                    values.push(match f.kind {
                        FieldType::Integer => {
                            v.as_i64().or_else(|| v.as_bool().map(i64::from)).map_or(Sql::Null, Sql::Integer)
                        }
                        FieldType::Real => number_of(v).map_or(Sql::Null, Sql::Real),
                        FieldType::Text => text_of(v).map_or(Sql::Null, Sql::Text),
                    });
                }
                insert.execute(params_from_iter(values))?;
            }
        }
        let e = extent.map(|e| [e.min().x, e.min().y, e.max().x, e.max().y]);
        tx.execute(
            "INSERT INTO gpkg_contents VALUES (?1, 'features', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            rusqlite::params![
                layer.name,
                format!("gridplan {}", layer.name),
                date,
                e.map(|e| e[0]),
                e.map(|e| e[1]),
                e.map(|e| e[2]),
                e.map(|e| e[3]),
                srs_id
            ],
        )?;
        tx.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?1, 'geom', 'MULTIPOLYGON', ?2, 0, 0)",
            rusqlite::params![layer.name, srs_id],
        )?;
    }
    tx.commit()?;
    db.close().map_err(|(_, e)| e)
}

/// An SQL identifier in double quotes.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A GeoPackage geometry blob: `GP`, version 0, flags (little-endian, an XY envelope), the SRS id, the envelope
/// (min x, max x, min y, max y) and the WKB.
fn blob(mp: &MultiPolygon, srs_id: i32) -> Vec<u8> {
    let mut out = Vec::with_capacity(40 + 16 * mp.0.iter().map(|p| p.exterior().0.len()).sum::<usize>());
    out.extend_from_slice(b"GP");
    out.push(0);
    match mp.bounding_rect() {
        Some(b) => {
            out.push(0b0000_0011);
            out.extend_from_slice(&srs_id.to_le_bytes());
            for v in [b.min().x, b.max().x, b.min().y, b.max().y] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        None => {
            // Empty geometry: no envelope, the empty flag set.
            out.push(0b0001_0001);
            out.extend_from_slice(&srs_id.to_le_bytes());
        }
    }
    let options = wkb::writer::WriteOptions { endianness: wkb::Endianness::LittleEndian };
    // Writing into a Vec cannot fail.
    let _ = wkb::writer::write_multi_polygon(&mut out, mp, &options);
    out
}
