//! `gridplan districts`: exactly K contiguous districts on an analyst's graph.

use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A networkx adjacency JSON graph as GerryChain writes it (`Graph.to_json`; `.gz` read too).
    graph: PathBuf,
    /// The node attribute holding each unit's population.
    #[arg(long)]
    pop_col: String,
    /// How many districts (exactly this many, or an error).
    #[arg(long)]
    districts: u64,
    /// Largest deviation from the ideal population, as a share (0.02 = ±2 %).
    #[arg(long, default_value_t = 0.02)]
    tolerance: f64,
    /// Run directory (replaced as a whole only when the run succeeds).
    #[arg(long)]
    out: PathBuf,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Spanning-tree attempts per district before giving up.
    #[arg(long, default_value_t = 1000)]
    attempts: u32,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let staged = super::output::open(&args.out, "districts", None, vec![args.graph.clone()], Vec::new())?;
    let t0 = std::time::Instant::now();
    let g = gridplan::load::graph_json::GraphJson::read(&args.graph, 1 << 32)?;
    let population = g.population(&args.pop_col)?;
    let t_load = t0.elapsed();
    let t1 = std::time::Instant::now();
    let plan = gridplan::districts::districts(
        g.ids.len(),
        &g.edges,
        &population,
        args.districts,
        args.tolerance,
        args.seed,
        args.attempts,
    )
    .with_context(|| format!("{} districts on {}", args.districts, args.graph.display()))?;
    let t_plan = t1.elapsed();
    let mut w = staged.create("assignment.csv")?;
    writeln!(w, "id,district")?;
    for (id, d) in g.ids.iter().zip(&plan.district) {
        writeln!(w, "{},{d}", gridplan::render::csv_field(id))?;
    }
    gridplan::render::output_dir::finish(w)?;
    let run = serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "graph": args.graph.display().to_string(),
        "pop_col": args.pop_col,
        "nodes": g.ids.len(),
        "edges": g.edges.len(),
        "districts": args.districts,
        "tolerance": args.tolerance,
        "seed": args.seed,
        "populations": plan.populations,
        "ideal": plan.ideal,
        "max_deviation": plan.max_deviation,
        "cut_edges": plan.cut_edges,
        "contiguous": plan.contiguous,
        "districts_per_component": plan.per_component,
        "timings_s": {"load": t_load.as_secs_f64(), "districts": t_plan.as_secs_f64()},
    });
    staged.write("run.json", (serde_json::to_string_pretty(&run)? + "\n").as_bytes())?;
    let dir = staged.commit()?;
    eprintln!(
        "{} districts, largest deviation {:.2} %, {} cut edges, contiguous: {}, in {:.2} s; wrote {}",
        args.districts,
        100.0 * plan.max_deviation,
        plan.cut_edges,
        plan.contiguous,
        t_plan.as_secs_f64(),
        dir.display()
    );
    Ok(())
}
