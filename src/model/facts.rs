//! Deployment facts: what the plan learns from the files it is held against (published ports,
//! container names, the JWT key pair, the balancers an export added) rather than from the
//! operator, and how a plan forgets them.

use crate::model::plan::Plan;
use crate::model::service::ServiceKey;

impl Plan {
    /// Takes what the deployment decides and a plan does not: the published ports and fixed
    /// container names where the plan names none, the deployment's service names, and the
    /// balancer (`NAME-lb`) an export put in front of a service the plan scales. Returns
    /// the keys it filled (`api.container_name`, `other_services.web.published_ports`).
    pub fn inherit_deployment_facts(&mut self, deployed: &Plan) -> Vec<String> {
        /// Fills one service's ports and name from the deployed service's, where empty.
        fn fill(
            key: &str,
            ports: &mut Vec<u16>,
            name: &mut Option<String>,
            from: (&[u16], &Option<String>),
        ) -> Vec<String> {
            let mut filled = Vec::new();
            if ports.is_empty() && !from.0.is_empty() {
                *ports = from.0.to_vec();
                filled.push(format!("{key}.published_ports"));
            }
            if name.is_none() && from.1.is_some() {
                name.clone_from(from.1);
                filled.push(format!("{key}.container_name"));
            }
            filled
        }
        let (api, runtime) = (&deployed.api, &deployed.runtime);
        let mut filled = fill(
            "api",
            &mut self.api.published_ports,
            &mut self.api.container_name,
            (&api.published_ports, &api.container_name),
        );
        filled.extend(fill(
            "runtime",
            &mut self.runtime.published_ports,
            &mut self.runtime.container_name,
            (&runtime.published_ports, &runtime.container_name),
        ));
        for (name, service) in &mut self.other_services {
            if let Some(deployed) = deployed.other_services.get(name) {
                filled.extend(fill(
                    &format!("other_services.{name}"),
                    &mut service.published_ports,
                    &mut service.container_name,
                    (&deployed.published_ports, &deployed.container_name),
                ));
            }
        }
        self.service_names.clone_from(&deployed.service_names);
        // The balancer an export put in front of a service the plan scales runs on the host too.
        let mut scaled: Vec<String> = [("api", self.api.replicas), ("runtime", self.runtime.replicas)]
            .into_iter()
            .filter(|(_, replicas)| *replicas > 1)
            .map(|(key, _)| self.service_name(key).to_string())
            .collect();
        scaled.extend(self.other_services.iter().filter(|(_, s)| s.replicas > 1).map(|(name, _)| name.clone()));
        for balancer in scaled.into_iter().map(|name| format!("{name}-lb")) {
            if let (false, Some(service)) =
                (self.other_services.contains_key(&balancer), deployed.other_services.get(&balancer))
            {
                self.other_services.insert(balancer.clone(), service.clone());
                filled.push(format!("other_services.{balancer}"));
            }
        }
        if deployed.postgres.clients_are_superuser && !self.postgres.clients_are_superuser {
            self.postgres.clients_are_superuser = true;
            filled.push("postgres.clients_are_superuser".into());
        }
        filled
    }

    /// Clears a fact [`Plan::inherit_deployment_facts`] filled, by its key.
    pub fn forget_fact(&mut self, key: &str) {
        // A whole service (a balancer) the plan took from the deployment.
        if let Some(name) = key.strip_prefix("other_services.")
            && self.other_services.remove(name).is_some()
        {
            return;
        }
        let Some((service, fact)) = key.rsplit_once('.') else { return };
        let (ports, name) = match ServiceKey::parse(service) {
            Some(ServiceKey::Api) => (&mut self.api.published_ports, &mut self.api.container_name),
            Some(ServiceKey::Runtime) => (&mut self.runtime.published_ports, &mut self.runtime.container_name),
            Some(ServiceKey::Other(name)) => match self.other_services.get_mut(name.as_ref()) {
                Some(service) => (&mut service.published_ports, &mut service.container_name),
                None => return,
            },
            _ => return,
        };
        match fact {
            "published_ports" => ports.clear(),
            "container_name" => *name = None,
            _ => {}
        }
    }

    /// The plan without what the deployment decides (published ports, container names): a
    /// plan written from a deployment takes them again from the files it is checked against,
    /// so an override that moves a port is not held to the old one.
    pub fn without_deployment_facts(&self) -> Plan {
        let mut plan = self.clone();
        let services = ["api", "runtime"].into_iter().map(String::from);
        let keys: Vec<String> =
            services.chain(self.other_services.keys().map(|n| format!("other_services.{n}"))).collect();
        for key in keys {
            plan.forget_fact(&format!("{key}.published_ports"));
            plan.forget_fact(&format!("{key}.container_name"));
        }
        plan
    }
}
