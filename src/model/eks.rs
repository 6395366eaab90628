//! Amazon EKS's default `maxPods` by instance type, as the EKS AMI computes it: the instance's
//! network interfaces × (IPv4 addresses per interface − 1) + 2 (`assets/eks-max-pods.txt`,
//! from awslabs/amazon-eks-ami's nodeadm at 81fec2e8).

const TABLE: &str = include_str!("../../assets/eks-max-pods.txt");

/// The rows of the table: `instance-type max-pods`, in name order.
fn rows() -> impl Iterator<Item = (&'static str, &'static str)> {
    TABLE.lines().filter(|line| !line.starts_with('#')).filter_map(|line| line.split_once(' '))
}

/// The pods an EKS node of `instance_type` runs by default; `None` for a type the table
/// does not have.
///
/// ```
/// assert_eq!(flowcap::model::eks::max_pods("m5.large"), Some(29));
/// assert_eq!(flowcap::model::eks::max_pods("m5.unknown"), None);
/// ```
pub fn max_pods(instance_type: &str) -> Option<u32> {
    rows().find(|(name, _)| *name == instance_type).and_then(|(_, pods)| pods.parse().ok())
}

/// The instance type of the table spelt most like `instance_type`, for an error's hint.
pub fn nearest(instance_type: &str) -> Option<&'static str> {
    rows()
        .map(|(name, _)| (strsim::jaro_winkler(name, instance_type), name))
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, name)| name)
}
