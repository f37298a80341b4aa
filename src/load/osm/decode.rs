//! The blocks of an `.osm.pbf`, decoded in parallel and handed back in file order: every block's nodes,
//! ways and relations are read on any thread, so the import is the same whatever the threads, and a city's
//! file decodes on every core instead of one.

use super::{Relation, TagList, TaggedNode, Way, node_matters, relation_matters, tag_list};
use osmpbf::{BlobDecode, BlobReader, Element, PrimitiveBlock, RelMemberType};
use rayon::prelude::*;
use std::path::Path;

/// What one data block holds, as the import keeps it.
#[derive(Default)]
pub(super) struct Block {
    /// Every node with a usable position: id, longitude, latitude.
    pub coords: Vec<(i64, f64, f64)>,
    /// Nodes whose position is not a longitude and latitude (a corrupt block can decode to any number).
    pub out_of_range: usize,
    /// Nodes with tags that make them a facility or a special unit.
    pub tagged: Vec<TaggedNode>,
    /// Every way.
    pub ways: Vec<Way>,
    /// Relations that can matter (areas, boundaries).
    pub relations: Vec<Relation>,
    /// All relations of the block.
    pub relations_seen: usize,
}

/// Every data block of the file, in file order; the first error in file order when one cannot be read.
pub(super) fn blocks(path: &Path) -> Result<Vec<Block>, osmpbf::Error> {
    let blobs = BlobReader::from_path(path)?.collect::<Result<Vec<_>, _>>()?;
    let decoded: Vec<Result<Block, osmpbf::Error>> = blobs
        .par_iter()
        .map(|blob| match blob.decode()? {
            BlobDecode::OsmData(block) => Ok(read(&block)),
            BlobDecode::OsmHeader(_) | BlobDecode::Unknown(_) => Ok(Block::default()),
        })
        .collect();
    decoded.into_iter().collect()
}

fn read(block: &PrimitiveBlock) -> Block {
    let mut out = Block::default();
    let node = |out: &mut Block, id: i64, lon: f64, lat: f64, tags: TagList| {
        if !(lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0) {
            out.out_of_range += 1;
            return;
        }
        out.coords.push((id, lon, lat));
        if !tags.is_empty() && node_matters(&tags) {
            out.tagged.push(TaggedNode { id, lon, lat, tags });
        }
    };
    block.for_each_element(|element| match element {
        Element::Node(n) => node(&mut out, n.id(), n.lon(), n.lat(), tag_list(n.tags())),
        Element::DenseNode(n) => node(&mut out, n.id(), n.lon(), n.lat(), tag_list(n.tags())),
        Element::Way(w) => out.ways.push(Way { id: w.id(), refs: w.refs().collect(), tags: tag_list(w.tags()) }),
        Element::Relation(r) => {
            out.relations_seen += 1;
            let tags = tag_list(r.tags());
            if relation_matters(&tags) {
                let members = r
                    .members()
                    .filter(|m| m.member_type == RelMemberType::Way)
                    .map(|m| (m.member_id, m.role().unwrap_or("").to_string()))
                    .collect();
                out.relations.push(Relation { id: r.id(), tags, members });
            }
        }
    });
    out
}
