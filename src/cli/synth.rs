//! `gridplan synth`.

use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Households in the city (1,000 to 10,000,000).
    #[arg(long)]
    households: u64,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        (1_000..=10_000_000).contains(&args.households),
        "--households must be between 1,000 and 10,000,000, got {}",
        args.households
    );
    let params = gridplan::synth::SynthParams::new(args.households, args.seed);
    let city = gridplan::synth::write_city(&params, &args.out)
        .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", args.out.display()))?;
    println!(
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
