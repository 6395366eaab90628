//! The nginx load balancer an export puts in front of a scaled service that published fixed
//! host ports: it publishes the same bindings (host IP, host port, container port) and
//! forwards each to the same port of the service's replicas.

use super::ports::PortBinding;

pub const IMAGE: &str = "nginx:1.27-alpine";
const HTTP_TEMPLATE: &str = include_str!("../../../assets/nginx-http-lb.conf");
const TCP_TEMPLATE: &str = include_str!("../../../assets/nginx-tcp-lb.conf");

/// A balancer for `service`'s fixed `ports`.
pub struct Balancer<'a> {
    pub service: &'a str,
    /// HTTP (the API: per-request balancing, forwarded headers) or plain TCP.
    pub http: bool,
    pub ports: &'a [PortBinding],
    /// A container port the stack's own clients reach it on, published or not (the runtime's
    /// port in the API's `EXECUTOR_URL`).
    pub also_listen: Option<u16>,
}

impl Balancer<'_> {
    /// The complete `nginx.conf`: nginx listens on each container port the service used.
    pub fn config(&self) -> String {
        let mut targets: Vec<u16> = self.ports.iter().map(|p| p.target).chain(self.also_listen).collect();
        targets.sort_unstable();
        targets.dedup();
        let listen: Vec<String> = targets.iter().map(|port| format!("        listen {port};")).collect();
        let template = if self.http { HTTP_TEMPLATE } else { TCP_TEMPLATE };
        template.replace("{{SERVICE}}", self.service).replace("{{LISTEN}}", &listen.join("\n"))
    }
}
