//! `gridplan export-graph`.

use anyhow::Context;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The plan file.
    plan: PathBuf,
    /// Output JSON file.
    #[arg(long)]
    out: PathBuf,
    /// Only this street (its id, code or name).
    #[arg(long)]
    street: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let (plan, d) = super::load(&args.plan)?;
    let street = match &args.street {
        None => None,
        Some(key) => Some(
            d.admin_areas
                .iter()
                .position(|a| a.id == *key || a.name == *key || a.code.as_deref() == Some(key))
                .ok_or_else(|| anyhow::anyhow!("no street has id, code or name {key:?}"))?,
        ),
    };
    let graph = gridplan::render::graph_json::graph_json(&d, &plan.config, street);
    gridplan::render::output_dir::write_file(
        &args.out,
        &serde_json::to_vec(&graph)?,
        gridplan::render::graph_json::is_graph_json,
    )
    .with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!("wrote {} ({} nodes)", args.out.display(), graph["nodes"].as_array().map_or(0, Vec::len));
    Ok(())
}
