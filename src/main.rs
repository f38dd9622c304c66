//! `braid`: the one command.

mod backup;
mod cli;
mod demo;

use clap::Parser;

// Request handling allocates many small short-lived objects; mimalloc handles them faster.
// `--features system-alloc` leaves malloc in place, for heap profilers (heaptrack).
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    // Each command installs its logs and traces (`cli`): the traces' settings are in its config.
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(cli.run()));
    // After the runtime: the last spans are sent from the exporter's own thread.
    braid_kit::telemetry::shutdown();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
