//! `gridplan ensemble`: ReCom chains on an analyst's graph, statistics per step, plans as BEN, diagnostics.

use super::districts::{GraphArgs, Loaded};
use anyhow::{Context, bail};
use gridplan::districts::ben::{HEADER, PlanFormat, PlanWriter};
use gridplan::districts::constraints::{Reduced, chain_graph, reduce};
use gridplan::districts::districts;
use gridplan::districts::ensemble::{self, Setup};
use gridplan::districts::recom::{PairRetry, Params, Variant};
use gridplan::districts::stats::{Geometry, NodeData};
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: GraphArgs,
    #[command(flatten)]
    constraints: super::districts::ConstraintArgs,
    /// Number of districts; each chain starts from its own first plan (`gridplan districts`, seed + chain).
    #[arg(long, required_unless_present = "initial")]
    districts: Option<u64>,
    /// Start every chain from this plan instead: a node attribute (e.g. `CD`) or a CSV `id,district`.
    #[arg(long)]
    initial: Option<String>,
    /// Largest deviation from the ideal population, as a share (0.02 = ±2 %).
    #[arg(long, default_value_t = 0.02)]
    tolerance: f64,
    /// Steps per chain (self-loops included).
    #[arg(long)]
    steps: u64,
    /// Independent chains (run in parallel).
    #[arg(long, default_value_t = 1)]
    chains: usize,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How the pair of districts to merge is chosen.
    #[arg(long, value_enum, default_value = "cut-edges")]
    variant: Variant,
    /// Reversible ReCom's M: an upper bound on the balanced cuts of any spanning tree.
    #[arg(long, default_value_t = 30)]
    balance_ub: u32,
    /// After a tree without a balanced cut: another tree for the same pair (GerryChain) or a new pair (frcw).
    #[arg(long, value_enum, default_value = "same-pair")]
    pair_retry: PairRetry,
    /// A node attribute summed per district in every step's statistics (votes, …); repeatable.
    #[arg(long = "sum")]
    sums: Vec<String>,
    /// A node attribute naming each unit's county: split counties in every step's statistics.
    #[arg(long)]
    county: Option<String>,
    /// How plans are written.
    #[arg(long, value_enum, default_value = "ben")]
    plans: PlanFormat,
    /// Write every n-th plan (the starting plan always; statistics are written for every step).
    #[arg(long, default_value_t = 1)]
    thin: u64,
    /// Threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// Run directory (replaced as a whole only when the run succeeds).
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if args.chains == 0 || args.steps == 0 {
        bail!("--chains and --steps must be at least 1");
    }
    if !(0.0..1.0).contains(&args.tolerance) {
        bail!("--tolerance {}: needs 0 ≤ ε < 1 (0.02 is ±2 %)", args.tolerance);
    }
    let staged = super::output::open(&args.out, "ensemble", None, vec![args.input.graph.clone()], Vec::new())?;
    let g = args.input.load()?;
    args.input.write_built_graph(&g, &staged)?;
    let constraints = args.constraints.build(&g.json)?;
    let reduced = reduce(g.json.ids.len(), &g.json.edges, &g.population, &constraints).map_err(anyhow::Error::msg)?;
    let graph = chain_graph(&reduced).map_err(anyhow::Error::msg)?;
    let data = node_data(&g, &args, &reduced)?;
    let t_first = std::time::Instant::now();
    let (k, initial) = starting_plans(&g, &args, &reduced)?;
    let first_plan_s = t_first.elapsed().as_secs_f64();
    let ideal = graph.total_population() as f64 / k as f64;
    let (min, max) = ((ideal * (1.0 - args.tolerance)).ceil() as u64, (ideal * (1.0 + args.tolerance)).floor() as u64);
    let params = Params { variant: args.variant, min, max, balance_ub: args.balance_ub, retry: args.pair_retry };
    let expand = (!reduced.is_identity()).then_some(reduced.node_of.as_slice());
    let setup =
        Setup { graph: &graph, data: &data, k, params, steps: args.steps, seed: args.seed, thin: args.thin, expand };
    let plans_name = match args.plans {
        PlanFormat::Ben => Some("plans.ben"),
        PlanFormat::Jsonl => Some("plans.jsonl"),
        PlanFormat::None => None,
    };
    let samples_per_chain = 1 + args.steps / args.thin.max(1);
    let part = |kind: &str, c: usize| format!("{kind}.part-{c:04}");
    let pool = rayon::ThreadPoolBuilder::new().num_threads(args.threads.unwrap_or(0)).build()?;
    let t0 = std::time::Instant::now();
    let reports = pool
        .install(|| {
            ensemble::run(&setup, initial, |c| {
                let io = |e: std::io::Error| e.to_string();
                let stats = staged.create(&part("stats", c)).map_err(io)?;
                let plans = staged.create(&part("plans", c)).map_err(io)?;
                Ok((stats, PlanWriter::new(plans, args.plans, 1 + c as u64 * samples_per_chain)))
            })
        })
        .map_err(anyhow::Error::msg)?;
    let chains_s = t0.elapsed().as_secs_f64();
    concatenate(&staged, "stats.jsonl", None, args.chains, |c| part("stats", c))?;
    let header = (args.plans == PlanFormat::Ben).then_some(&HEADER[..]);
    match plans_name {
        Some(name) => concatenate(&staged, name, header, args.chains, |c| part("plans", c))?,
        None => (0..args.chains).try_for_each(|c| std::fs::remove_file(staged.path(&part("plans", c))))?,
    }
    let diagnostics: serde_json::Map<String, serde_json::Value> = ensemble::diagnostics(&reports)
        .into_iter()
        .map(|(name, d)| Ok((name.to_string(), serde_json::to_value(d)?)))
        .collect::<anyhow::Result<_>>()?;
    let steps_total = args.steps * args.chains as u64;
    let run = serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "graph": args.input.graph.display().to_string(),
        "pop_col": args.input.pop_col,
        "adjacency": args.input.adjacency,
        "population_rounded": args.input.round_population,
        "nodes": g.json.ids.len(),
        "edges": g.json.edges.len(),
        "constraints": {
            "keep_whole": args.constraints.keep_whole,
            "nest_in": args.constraints.nest_in,
            "uncuttable_edges": constraints.uncuttable.len(),
            "units_after_contraction": graph.len(),
            "edges_between_parents": reduced.between_parents.len(),
        },
        "districts": k,
        "tolerance": args.tolerance,
        "population_bounds": [min, max],
        "variant": args.variant,
        "pair_retry": args.pair_retry,
        "balance_ub": args.balance_ub,
        "steps_per_chain": args.steps,
        "chains": args.chains,
        "seed": args.seed,
        "initial": args.initial.clone().unwrap_or_else(|| "gridplan districts, seed + chain".into()),
        "plans": plans_name,
        "thin": args.thin,
        "samples_per_chain": samples_per_chain,
        "statistics": {"sums": args.sums, "county": args.county, "polsby_popper": data.geometry.is_some()},
        "threads": pool.current_num_threads(),
        "per_chain": reports,
        "steps_per_s_all_chains": steps_total as f64 / chains_s.max(1e-9),
        "timings_s": {"load": g.seconds, "first_plans": first_plan_s, "chains": chains_s},
    });
    staged.write("run.json", (serde_json::to_string_pretty(&run)? + "\n").as_bytes())?;
    staged.write("diagnostics.json", (serde_json::to_string_pretty(&diagnostics)? + "\n").as_bytes())?;
    let dir = staged.commit()?;
    let rhat = diagnostics["cut_edges"]["rhat"].as_f64();
    eprintln!(
        "{} chains × {} steps ({}), {:.0} steps/s per chain, cut-edge R-hat {}; wrote {}",
        args.chains,
        args.steps,
        serde_json::to_value(args.variant)?.as_str().unwrap_or_default(),
        reports.iter().map(|r| r.steps_per_s).sum::<f64>() / reports.len() as f64,
        rhat.map_or("—".into(), |r| format!("{r:.3}")),
        dir.display()
    );
    Ok(())
}

/// Joins the chains' part files into one file (chain order), removing the parts.
fn concatenate(
    staged: &gridplan::render::output_dir::StagedDir,
    name: &str,
    header: Option<&[u8]>,
    chains: usize,
    part: impl Fn(usize) -> String,
) -> anyhow::Result<()> {
    let mut out = staged.create(name)?;
    if let Some(h) = header {
        out.write_all(h)?;
    }
    for c in 0..chains {
        let path = staged.path(&part(c));
        std::io::copy(&mut std::fs::File::open(&path)?, &mut out)?;
        std::fs::remove_file(&path)?;
    }
    gridplan::render::output_dir::finish(out)?;
    Ok(())
}

/// Sums, geometry (when the graph carries GerryChain's `area`, `boundary_perim` and `shared_perim`) and
/// counties, on the chain's (reduced) nodes.
fn node_data(g: &Loaded, args: &Args, r: &Reduced) -> anyhow::Result<NodeData> {
    let json = &g.json;
    let mut sums = Vec::new();
    for col in &args.sums {
        let values = json.node_numbers(col);
        if let Some(i) = values.iter().position(Option::is_none) {
            bail!("{}: node {}: --sum {col}: missing or not a number", json.path.display(), json.ids[i]);
        }
        let values: Vec<f64> = values.into_iter().map(|v| v.unwrap_or(0.0)).collect();
        sums.push((col.clone(), r.sum(&values)));
    }
    let all = |v: Vec<Option<f64>>| v.into_iter().collect::<Option<Vec<f64>>>();
    // GerryChain gives `boundary_perim` to boundary nodes only: elsewhere it is 0.
    let boundary: Vec<f64> = json.node_numbers("boundary_perim").into_iter().map(|b| b.unwrap_or(0.0)).collect();
    let geometry = match (all(json.node_numbers("area")), all(json.edge_numbers("shared_perim"))) {
        (Some(area), Some(shared)) => {
            // Edges between parents are outside the chain's graph and always cut: their length is boundary.
            let mut boundary_perim = r.sum(&boundary);
            for &e in &r.between_parents {
                let (a, b) = json.edges[e];
                boundary_perim[r.node_of[a] as usize] += shared[e];
                boundary_perim[r.node_of[b] as usize] += shared[e];
            }
            let shared_perim = r.origin.iter().map(|&e| shared[e]).collect();
            Some(Geometry { area: r.sum(&area), boundary_perim, shared_perim })
        }
        _ => None,
    };
    let county = match &args.county {
        None => None,
        Some(col) => {
            // The same dense labels as --keep-whole, carried to the chain's units (one county each).
            let labels = super::districts::labels(json, std::slice::from_ref(col))?;
            let groups = labels.iter().max().map_or(0, |&m| m as usize + 1);
            let mut out = vec![u32::MAX; r.population.len()];
            for (v, &label) in labels.iter().enumerate() {
                let slot = &mut out[r.node_of[v] as usize];
                if *slot != u32::MAX && *slot != label {
                    bail!(
                        "--county {col}: node {} was made one unit with nodes of another county (--keep-whole / --uncuttable): county splits are counted on whole units only",
                        json.ids[v]
                    );
                }
                *slot = label;
            }
            Some((out, groups))
        }
    };
    Ok(NodeData { sums, geometry, county, cut_offset: r.between_parents.len() })
}

/// K and each chain's starting plan (0-based districts).
fn starting_plans(g: &Loaded, args: &Args, r: &Reduced) -> anyhow::Result<(usize, Vec<Vec<u32>>)> {
    let json = &g.json;
    if let Some(initial) = &args.initial {
        let labels: Vec<String> = if std::path::Path::new(initial).is_file() {
            let read = gridplan::load::run::read_id_table(std::path::Path::new(initial), "id", "district")?;
            json.ids
                .iter()
                .map(|id| read.get(id).cloned().with_context(|| format!("{initial}: no district for node {id}")))
                .collect::<anyhow::Result<_>>()?
        } else {
            json.attributes
                .iter()
                .zip(&json.ids)
                .map(|(a, id)| match a.get(initial) {
                    Some(v) if !v.is_null() => Ok(v.as_str().map_or_else(|| v.to_string(), str::to_string)),
                    _ => bail!(
                        "{}: node {id}: --initial {initial}: no district (neither a file nor a node attribute)",
                        json.path.display()
                    ),
                })
                .collect::<anyhow::Result<_>>()?
        };
        let mut distinct: Vec<&String> = labels.iter().collect();
        distinct.sort_by(|a, b| natural(a, b));
        distinct.dedup();
        let index: HashMap<&String, u32> = distinct.iter().enumerate().map(|(i, &l)| (l, i as u32)).collect();
        let mut plan = vec![u32::MAX; r.population.len()];
        for (v, l) in labels.iter().enumerate() {
            let slot = &mut plan[r.node_of[v] as usize];
            if *slot != u32::MAX && *slot != index[l] {
                bail!(
                    "--initial {initial}: node {} is split from a unit it must stay with (--keep-whole / --uncuttable / --nest-in)",
                    json.ids[v]
                );
            }
            *slot = index[l];
        }
        if args.districts.is_some_and(|k| k as usize != distinct.len()) {
            bail!(
                "--initial {initial} has {} districts, --districts says {}",
                distinct.len(),
                args.districts.unwrap_or(0)
            );
        }
        return Ok((distinct.len(), vec![plan; args.chains]));
    }
    let k = args.districts.unwrap_or(0);
    let plans = (0..args.chains)
        .map(|c| {
            let d =
                districts(r.population.len(), &r.edges, &r.population, k, args.tolerance, args.seed + c as u64, 1000)
                    .with_context(|| format!("the first plan of chain {c}"))?;
            Ok(d.district.iter().map(|&x| x as u32 - 1).collect())
        })
        .collect::<anyhow::Result<_>>()?;
    Ok((k as usize, plans))
}

/// Labels in numeric order when both are numbers, else as text.
fn natural(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.total_cmp(&y).then(a.cmp(b)),
        _ => a.cmp(b),
    }
}
