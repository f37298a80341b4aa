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

/// Hard constraints on the plans (both commands).
#[derive(Debug, clap::Args)]
pub struct ConstraintArgs {
    /// Keep units whole: node attributes whose values together name a group (e.g. `COUNTYFP20` or
    /// `COUNTYFP20,TRACTCE20`); each group connected on the edges lies in one district.
    #[arg(long, value_delimiter = ',')]
    pub keep_whole: Vec<String>,
    /// Nest in a parent layer: a node attribute naming each unit's parent (e.g. a congressional district);
    /// no district crosses two parents, each parent gets a whole number of districts.
    #[arg(long)]
    pub nest_in: Option<String>,
    /// Edges that may not be cut: a CSV with columns `a,b` (node ids).
    #[arg(long)]
    pub uncuttable: Option<PathBuf>,
}

impl ConstraintArgs {
    /// The constraints on this graph, with the graph's node attributes and ids.
    pub fn build(&self, g: &GraphJson) -> anyhow::Result<gridplan::districts::constraints::Constraints> {
        let whole = (!self.keep_whole.is_empty()).then(|| labels(g, &self.keep_whole)).transpose()?;
        let nest = self.nest_in.as_ref().map(|c| labels(g, std::slice::from_ref(c))).transpose()?;
        let mut uncuttable = Vec::new();
        if let Some(path) = &self.uncuttable {
            let index: std::collections::HashMap<&str, usize> =
                g.ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
            for (a, b) in gridplan::load::run::read_pairs(path, "a", "b")? {
                let node = |id: &str| {
                    index
                        .get(id)
                        .copied()
                        .with_context(|| format!("{}: {id} is not a node of the graph", path.display()))
                };
                let (x, y) = (node(&a)?, node(&b)?);
                let e = g
                    .edges
                    .binary_search(&(x.min(y), x.max(y)))
                    .map_err(|_| anyhow::anyhow!("{}: {a} – {b} is not an edge of the graph", path.display()))?;
                uncuttable.push(e);
            }
        }
        Ok(gridplan::districts::constraints::Constraints { uncuttable, whole, nest })
    }
}

/// Dense labels from the values of `columns` (joined), every node needing one.
pub(super) fn labels(g: &GraphJson, columns: &[String]) -> anyhow::Result<Vec<u32>> {
    let mut index: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    g.attributes
        .iter()
        .zip(&g.ids)
        .map(|(attrs, id)| {
            let key: Vec<String> = columns
                .iter()
                .map(|c| match attrs.get(c) {
                    Some(v) if !v.is_null() => Ok(v.as_str().map_or_else(|| v.to_string(), str::to_string)),
                    _ => anyhow::bail!("{}: node {id}: {c}: missing (every node needs a value)", g.path.display()),
                })
                .collect::<anyhow::Result<_>>()?;
            let next = index.len() as u32;
            Ok(*index.entry(key.join("\u{1f}")).or_insert(next))
        })
        .collect()
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
    #[command(flatten)]
    constraints: ConstraintArgs,
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
    let constraints = args.constraints.build(&g.json)?;
    let reduced =
        gridplan::districts::constraints::reduce(g.json.ids.len(), &g.json.edges, &g.population, &constraints)
            .map_err(anyhow::Error::msg)?;
    for (group, pieces) in &reduced.split_groups {
        eprintln!(
            "note: --keep-whole group {group} is in {pieces} pieces on the graph's edges: each piece is kept whole"
        );
    }
    let nested = if args.constraints.nest_in.is_some() { " (nested: every parent is a separate piece)" } else { "" };
    let first = gridplan::districts::districts(
        reduced.population.len(),
        &reduced.edges,
        &reduced.population,
        args.districts,
        args.tolerance,
        args.seed,
        args.attempts,
    )
    .with_context(|| format!("{} districts on {}{nested}", args.districts, graph_path.display()))?;
    let plan = gridplan::districts::score(
        reduced.expand(&first.district),
        &g.json.edges,
        &g.population,
        args.districts,
        first.ideal,
        first.per_component,
    );
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
        "constraints": {
            "keep_whole": args.constraints.keep_whole,
            "nest_in": args.constraints.nest_in,
            "uncuttable_edges": constraints.uncuttable.len(),
            "units_after_contraction": reduced.population.len(),
            "edges_between_parents": reduced.between_parents.len(),
            "groups_in_pieces": reduced.split_groups.len(),
        },
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
