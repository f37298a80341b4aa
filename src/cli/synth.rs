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
    let _ = args;
    anyhow::bail!("synth: not yet")
}
