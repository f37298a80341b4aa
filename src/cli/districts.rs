//! `gridplan districts`: exactly K contiguous districts on an analyst's graph; the graph input it shares with
//! `gridplan ensemble`.

use anyhow::Context;
use gridplan::load::graph_json::GraphJson;
use std::io::Write;
use std::path::PathBuf;

/// The graph an analyst brings.
#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// A networkx adjacency JSON graph as GerryChain writes it (`Graph.to_json`; `.gz` read too), or a polygon
    /// layer (Shapefile, GeoJSON, Parquet) made into a graph with `--adjacency`.
    pub graph: PathBuf,
    /// Build the graph from a polygon layer's boundaries: rook (a shared boundary of positive length) or
    /// queen (any shared point).
    #[arg(long, value_enum)]
    pub adjacency: Option<gridplan::districts::adjacency::Contiguity>,
    /// The column naming each unit of a polygon layer (default: the feature id, else its position).
    #[arg(long, requires = "adjacency")]
    pub id_col: Option<String>,
    /// The node attribute holding each unit's population.
    #[arg(long)]
    pub pop_col: String,
    /// Round fractional (prorated) populations by largest remainder, keeping the rounded total; without it
    /// a fractional population is an error naming the node.
    #[arg(long)]
    pub round_population: bool,
}

/// An analyst's graph, read.
pub struct Loaded {
    /// The graph as read.
    pub json: GraphJson,
    /// Population of every node.
    pub population: Vec<u64>,
    /// Seconds to read it.
    pub seconds: f64,
}

impl GraphArgs {
    /// When the graph was built from polygons, writes it as `graph.json` (networkx adjacency, readable by
    /// GerryChain's `Graph.from_json`) so other tools can run on exactly the same graph.
    pub fn write_built_graph(
        &self,
        loaded: &Loaded,
        staged: &gridplan::render::output_dir::StagedDir,
    ) -> anyhow::Result<()> {
        if let Some(c) = self.adjacency {
            let by = format!("gridplan {} adjacency", serde_json::to_value(c)?.as_str().unwrap_or_default());
            let v = gridplan::render::graph_json::analyst_graph_json(&loaded.json, &by);
            staged.write("graph.json", (serde_json::to_string(&v)? + "\n").as_bytes())?;
        }
        Ok(())
    }

    /// Reads the graph and its populations.
    pub fn load(&self) -> anyhow::Result<Loaded> {
        let t0 = std::time::Instant::now();
        let json = match self.adjacency {
            None => GraphJson::read(&self.graph, 1 << 32)?,
            Some(contiguity) => {
                let table = gridplan::load::source::read_table(&self.graph, &Default::default())?;
                gridplan::districts::adjacency::graph_from_table(&table, self.id_col.as_deref(), contiguity)?
            }
        };
        let population = json.population_rounded(&self.pop_col, self.round_population)?;
        Ok(Loaded { json, population, seconds: t0.elapsed().as_secs_f64() })
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: GraphArgs,
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
    let graph_path = &args.input.graph;
    let staged = super::output::open(&args.out, "districts", None, vec![graph_path.clone()], Vec::new())?;
    let g = args.input.load()?;
    let t1 = std::time::Instant::now();
    let plan = gridplan::districts::districts(
        g.json.ids.len(),
        &g.json.edges,
        &g.population,
        args.districts,
        args.tolerance,
        args.seed,
        args.attempts,
    )
    .with_context(|| format!("{} districts on {}", args.districts, graph_path.display()))?;
    let t_plan = t1.elapsed();
    args.input.write_built_graph(&g, &staged)?;
    let mut w = staged.create("assignment.csv")?;
    writeln!(w, "id,district")?;
    for (id, d) in g.json.ids.iter().zip(&plan.district) {
        writeln!(w, "{},{d}", gridplan::render::csv_field(id))?;
    }
    gridplan::render::output_dir::finish(w)?;
    let run = serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "graph": graph_path.display().to_string(),
        "pop_col": args.input.pop_col,
        "adjacency": args.input.adjacency,
        "population_rounded": args.input.round_population,
        "nodes": g.json.ids.len(),
        "edges": g.json.edges.len(),
        "districts": args.districts,
        "tolerance": args.tolerance,
        "seed": args.seed,
        "populations": plan.populations,
        "ideal": plan.ideal,
        "max_deviation": plan.max_deviation,
        "cut_edges": plan.cut_edges,
        "contiguous": plan.contiguous,
        "districts_per_component": plan.per_component,
        "timings_s": {"load": g.seconds, "districts": t_plan.as_secs_f64()},
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
