//! configfs for the o2cb cluster stack: what the kernel has, what cluster.conf wants, the
//! operations between the two in the order the kernel demands, and running them with an
//! undo log.
//!
//! ```text
//! cluster.conf model + host name --desired_cluster--> DesiredCluster (checked names, local node)
//! configfs --read_clusters/read_cluster--> ClusterState
//! (DesiredCluster, ClusterState) --plan_register--> Plan (steps, each with its undo)
//! Plan --apply--> the kernel; on a refusal every done step is undone and the refusal explained
//! ```
//!
//! Everything goes through [`ConfigfsIo`], so the planner and the undo logic are tested
//! against a model of the kernel's rules (tests/model); the real configfs is found by
//! `o2cb_sys::stack::configfs_mount` (so a test can point the tools at a directory).

mod apply;
mod io;
mod name;
mod perfs;
mod plan;
mod state;
pub mod value;

pub use apply::{apply, errno_name, ApplyError, StepFailure};
pub use io::{ConfigfsIo, RealConfigfs};
pub use name::{ConfigfsName, NameError, NameKind, NameProblem};
pub use perfs::{
    filesystem_name, perfs_paths, plan_fs_active, plan_fs_register, plan_fs_unregister,
    read_filesystem, FsDesired, FsMemberDesired, FsMemberState, FsState,
};
pub use plan::{
    desired_cluster, desired_cluster_with, plan_add_node, plan_online, plan_register,
    plan_register_with, plan_start_region, plan_stop_region, plan_timeouts, plan_unregister,
    Checks, DesiredCluster, DesiredNode, Op, Plan, PlanError, RegionParams, Step, Subject, Undo,
    MAX_NODE_NUMBER, MAX_PORT, MIN_PORT,
};
pub use state::{
    paths, read_cluster, read_cluster_summary, read_clusters, read_node, read_region, ClusterState,
    ClusterSummary, NodeState, RegionState, RegionSummary, Timeouts,
};
