//! Serves test subgraphs, each on its own address, until SIGTERM or ctrl-c.
//!
//! ```text
//! test-subgraphs [--scale N] [--delay-ms MS] [--workers N] SUBGRAPH...
//!   SUBGRAPH: name=host:port (port 0 picks a free one), name (its default port),
//!             demo, edge, corner or all (every subgraph of the set on its default port)
//! ```
//!
//! Prints `<name> http://<address>/graphql` for each once it listens, then `ready`.

use std::{net::SocketAddr, process::ExitCode, time::Duration};

use braid_test_subgraphs::{Options, Subgraph, Supergraph};

// Request handling allocates many small short-lived objects; mimalloc handles them faster.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: test-subgraphs [--scale N] [--delay-ms MS] [--workers N] SUBGRAPH...
  SUBGRAPH: name=host:port (port 0 picks a free one), name (its default port),
            demo, edge, corner or all (every subgraph of the set on its default port)
  subgraphs: accounts products inventory reviews (demo), shelf books films ratings pricing people (edge),
             posts digest (corner)";

#[derive(Debug)]
struct Args {
    options: Options,
    workers: Option<usize>,
    serve: Vec<(Subgraph, SocketAddr)>,
}

fn default_address(subgraph: Subgraph) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], subgraph.default_port()))
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args { options: Options::default(), workers: None, serve: Vec::new() };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut number = |flag: &str| -> Result<u64, String> {
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            value.parse().map_err(|_| format!("{flag}: `{value}` is not a non-negative integer"))
        };
        match arg.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--scale" => {
                let scale = number("--scale")?;
                parsed.options.scale =
                    u32::try_from(scale).ok().filter(|&s| s >= 1).ok_or("--scale must be 1 or more")?;
            }
            "--delay-ms" => parsed.options.delay = Some(Duration::from_millis(number("--delay-ms")?)),
            "--workers" => parsed.workers = Some(usize::try_from(number("--workers")?).unwrap_or(1).max(1)),
            "all" => parsed.serve.extend(Subgraph::ALL.iter().map(|&s| (s, default_address(s)))),
            "demo" => parsed.serve.extend(Supergraph::Demo.subgraphs().iter().map(|&s| (s, default_address(s)))),
            "edge" | "corner" => {
                let set = if arg == "edge" { Supergraph::Edge } else { Supergraph::Corner };
                parsed.serve.extend(set.subgraphs().iter().map(|&s| (s, default_address(s))));
            }
            _ if arg.starts_with('-') => return Err(format!("unknown option `{arg}`")),
            _ => {
                let (name, address) = match arg.split_once('=') {
                    Some((name, address)) => (name, Some(address)),
                    None => (arg.as_str(), None),
                };
                let subgraph: Subgraph = name.parse()?;
                let address = match address {
                    Some(address) => address.parse().map_err(|_| format!("`{address}` is not a host:port address"))?,
                    None => default_address(subgraph),
                };
                parsed.serve.push((subgraph, address));
            }
        }
    }
    if parsed.serve.is_empty() {
        return Err("no subgraph to serve".to_owned());
    }
    Ok(parsed)
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("test-subgraphs: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(workers) = args.workers {
        runtime.worker_threads(workers);
    }
    let runtime = match runtime.enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("test-subgraphs: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("test-subgraphs: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut servers = tokio::task::JoinSet::new();
    for (subgraph, address) in args.serve {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|error| format!("{subgraph}: cannot listen on {address}: {error}"))?;
        let local = listener.local_addr().map_err(|error| format!("{subgraph}: {error}"))?;
        println!("{subgraph} http://{local}/graphql");
        let mut stopped = stopped.clone();
        let shutdown = async move {
            let _ = stopped.wait_for(|&stop| stop).await;
        };
        let options = args.options.clone();
        servers.spawn(async move {
            braid_test_subgraphs::serve(subgraph, listener, options, shutdown)
                .await
                .map_err(|error| format!("{subgraph}: {error}"))
        });
    }
    println!("ready");
    tokio::select! {
        () = shutdown_signal() => {}
        Some(result) = servers.join_next() => {
            result.map_err(|error| error.to_string())??;
        }
    }
    let _ = stop.send(true);
    while let Some(result) = servers.join_next().await {
        result.map_err(|error| error.to_string())??;
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Result<Args, String> {
        parse_args(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn parses_addresses_sets_and_options() {
        let parsed = args("--scale 3 --delay-ms 250 accounts=127.0.0.1:0 books edge").unwrap();
        assert_eq!(parsed.options.scale, 3);
        assert_eq!(parsed.options.delay, Some(Duration::from_millis(250)));
        assert_eq!(parsed.serve[0], (Subgraph::Accounts, "127.0.0.1:0".parse().unwrap()));
        assert_eq!(parsed.serve[1], (Subgraph::Books, "127.0.0.1:4012".parse().unwrap()));
        assert_eq!(parsed.serve.len(), 2 + Supergraph::Edge.subgraphs().len());
    }

    #[test]
    fn rejects_bad_arguments() {
        assert!(args("").is_err());
        assert!(args("nope=127.0.0.1:1").unwrap_err().contains("unknown subgraph"));
        assert!(args("accounts=localhost").unwrap_err().contains("host:port"));
        assert!(args("--scale 0 accounts").is_err());
        assert!(args("--frobnicate accounts").is_err());
    }
}
