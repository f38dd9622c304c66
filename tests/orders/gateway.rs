//! A gateway instance in front of the orders stack, reading the topics from Kafka.

use braid_testkit::jwt;

use crate::stack::Stack;

/// A gateway instance in front of the stack, reading its topics with a group of its own.
pub struct Gateway {
    pub gateway: std::sync::Arc<braid_gateway::Gateway>,
    pub addr: std::net::SocketAddr,
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
    pub pump: tokio::task::JoinHandle<()>,
}

impl Gateway {
    pub async fn start(stack: &Stack) -> Self {
        Self::start_with(stack, |_| {}).await
    }

    /// Starts an instance with `edit` applied to its configuration.
    pub async fn start_with(stack: &Stack, edit: impl FnOnce(&mut braid_gateway::GatewayConfig)) -> Self {
        let mut config = braid_gateway::GatewayConfig::default();
        config.auth.public_key_pem = Some(jwt::PUBLIC_PEM.to_string());
        config.auth.issuer = Some(jwt::ISSUER.to_string());
        config.auth.audience = Some(jwt::AUDIENCE.to_string());
        config.streams.heartbeat_ms = 200;
        for (name, url) in [("catalog", &stack.catalog.url), ("orders", &stack.orders.url)] {
            config.subgraphs.entry(name.to_string()).or_default().url = Some(url.clone());
        }
        edit(&mut config);
        let sdl = std::fs::read_to_string(braid_testkit::repo_root().join("schema/supergraph.graphql")).unwrap();
        let gateway = braid_gateway::gateway_from_sdl(config, &sdl, None).await.expect("the gateway starts");
        let pump = gateway.consume_events(stack.orders.infra.bus.clone(), std::future::pending());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = braid_gateway::server::router(gateway.clone(), braid_kit::telemetry::prometheus().clone());
        let server = tokio::spawn(braid_gateway::server::serve(listener, None, router, std::future::pending()));
        Self { gateway, addr, server, pump }
    }

    pub fn stop(self) {
        self.server.abort();
        self.pump.abort();
    }
}
