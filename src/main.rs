//! `braid`: the one command.

mod cli;
mod demo;

use clap::Parser;

// Request handling allocates many small short-lived objects; mimalloc handles them faster.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let cli = cli::Cli::parse();
    braid_kit::telemetry::init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(cli.run())
}
