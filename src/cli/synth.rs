//! `gridplan synth`.

use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Households in the city (1,000 to 100,000,000: a province, planned in shards).
    #[arg(long, required_unless_present = "lattice")]
    households: Option<u64>,
    /// Instead of a city, the benchmark lattice of SIDE × SIDE buildings (50 households each, 3 × 3
    /// compounds, one trunk road): 12, 20, 40, 70 give the 144 … 4,900-building instances.
    #[arg(long, conflicts_with = "households")]
    lattice: Option<usize>,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let city = match (args.households, args.lattice) {
        (_, Some(side)) => {
            anyhow::ensure!((3..=1000).contains(&side), "--lattice must be between 3 and 1,000, got {side}");
            gridplan::synth::write_lattice(side, &args.out)
        }
        (Some(households), None) => {
            anyhow::ensure!(
                (1_000..=100_000_000).contains(&households),
                "--households must be between 1,000 and 100,000,000, got {households}"
            );
            gridplan::synth::write_city(&gridplan::synth::SynthParams::new(households, args.seed), &args.out)
        }
        (None, None) => anyhow::bail!("give --households N or --lattice SIDE"),
    }?;
    outln!(
        "wrote {}: {} households in {} buildings, {} compounds, {} admin areas, {} facilities, {} special units ({} blocks a side)",
        args.out.display(),
        city.households,
        city.layers.buildings.len(),
        city.layers.compounds.len(),
        city.layers.admin_areas.len(),
        city.layers.facilities.len(),
        city.layers.special_units.len(),
        city.blocks_per_side
    );
    Ok(())
}
