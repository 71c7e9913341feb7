//! The commands that talk to the kernel (docs/ocfs2-tools-reference.md §3.3–3.5):
//! `register-cluster`,
//! `unregister-cluster`, `cluster-status`, `start-heartbeat`, `stop-heartbeat`.
//!
//! Stdout and exit statuses are the reference's. Errors are ours: instead of "Internal logic
//! failure while registering node 'x'" they name the node, what clashed and the kernel's
//! errno, and a refused registration leaves configfs as it was.

use std::collections::HashMap;
use std::ffi::OsString;

use bstr::ByteSlice;
use configfs::{
    apply, desired_cluster_with, plan_register_with, plan_start_region, plan_stop_region,
    plan_unregister, read_cluster, read_clusters, Checks, ClusterState, ConfigfsIo, ConfigfsName,
    Plan, PlanError, RealConfigfs, RegionParams,
};
use o2cb_sys::stack::{init_classic, StackInfo};

use super::commands::validate_cluster_name;
use super::config::{bytes, known_cluster};
use super::{CmdResult, Failure, Session};
use crate::context::Context;

/// Start-up for commands that change the kernel: may load the stack's modules, as the
/// reference does.
fn init(ctx: &Context<'_>, load_modules: bool) -> Result<(StackInfo, RealConfigfs), Failure> {
    let info = init_classic(&ctx.root, load_modules)
        .map_err(|e| Failure::refused(format!("{e} while initializing the cluster")))?;
    let io = RealConfigfs::for_root(info.configfs.clone(), ctx.root.is_real_root());
    Ok((info, io))
}

fn configfs_error(e: std::io::Error, doing: &str) -> Failure {
    Failure::refused(format!("{e} while {doing}"))
}

/// Applies a plan; a plan refused before anything was written, or a kernel refusal (after
/// which `apply` has undone its work), is the failure.
fn plan_and_apply(io: &mut dyn ConfigfsIo, plan: Result<Plan, PlanError>) -> CmdResult {
    let applied = plan
        .map_err(|e| e.to_string())
        .and_then(|p| apply(io, &p).map(drop).map_err(|e| e.to_string()));
    applied.map_err(Failure::refused)
}

/// The registered clusters, first the active one.
fn registered(io: &mut dyn ConfigfsIo) -> Result<Vec<ConfigfsName>, Failure> {
    match read_clusters(io) {
        Ok(Some(c)) => Ok(c),
        Ok(None) => Err(Failure::refused(
            "Unable to access cluster service: the o2cb node manager is not loaded (no cluster directory in configfs)",
        )),
        Err(e) => Err(configfs_error(e, "looking up the registered cluster")),
    }
}

pub fn register_cluster(
    ctx: &mut Context<'_>,
    session: &mut Session,
    args: Vec<OsString>,
) -> CmdResult {
    let Some(arg) = args.first() else {
        return Err(Failure::Usage);
    };
    let name = bytes(arg);
    let cluster = known_cluster(session.doc.config(), name)?.clone();
    if let Err(reason) = validate_cluster_name(name) {
        return Err(Failure::refused(format!(
            "Cluster name is invalid ; {reason}"
        )));
    }
    let (_, mut io) = init(ctx, true)?;
    let hostname = o2cb_sys::hostname::hostname()
        .map_err(|e| Failure::refused(format!("Could not determine local host name: {e}")))?;
    let checks = Checks::from_env();
    let desired = match desired_cluster_with(&cluster, &hostname, checks) {
        Ok(d) => d,
        Err(errors) => {
            for e in errors {
                ctx.error(e);
            }
            return Err(Failure::refused(format!(
                "cluster '{}' was not registered",
                name.to_str_lossy()
            )));
        }
    };
    if desired.local_node().is_none() {
        ctx.error(format!(
            "warning: no node of cluster '{}' matches this host's name '{}'; the cluster is registered but cannot come online here",
            desired.name,
            hostname.to_str_lossy()
        ));
    }
    let clusters = registered(&mut io)?;
    let current = if clusters.contains(&desired.name) {
        let state = read_cluster(&mut io, &desired.name)
            .map_err(|e| configfs_error(e, &format!("reading cluster '{}'", desired.name)))?;
        Some(state)
    } else {
        None
    };
    let plan = plan_register_with(&desired, &clusters, current.as_ref(), checks);
    plan_and_apply(&mut io, plan)?;
    ctx.verbose(format!("Cluster '{}' registered", desired.name));
    Ok(())
}

/// The active cluster if it is `name`; otherwise the reference's "not active".
fn active_cluster(
    io: &mut dyn ConfigfsIo,
    name: &[u8],
) -> Result<(Vec<ConfigfsName>, ClusterState), Failure> {
    let clusters = registered(io)?;
    let active = clusters
        .first()
        .filter(|c| c.as_str().as_bytes() == name)
        .cloned()
        .ok_or_else(|| {
            Failure::refused(format!("Cluster '{}' is not active", name.to_str_lossy()))
        })?;
    let state = read_cluster(io, &active)
        .map_err(|e| configfs_error(e, &format!("reading cluster '{active}'")))?;
    Ok((clusters, state))
}

/// The command's cluster argument, after start-up, if it is the active cluster: the
/// configfs handle, the registered clusters and the cluster's state.
fn active_cluster_of(
    ctx: &Context<'_>,
    args: &[OsString],
) -> Result<(RealConfigfs, Vec<ConfigfsName>, ClusterState), Failure> {
    let name = bytes(args.first().ok_or(Failure::Usage)?);
    let (_, mut io) = init(ctx, true)?;
    let (clusters, state) = active_cluster(&mut io, name)?;
    Ok((io, clusters, state))
}

/// Stops one region of `cluster`, saying which if the kernel refuses.
fn stop_region(
    io: &mut dyn ConfigfsIo,
    cluster: &ConfigfsName,
    region: &ConfigfsName,
) -> CmdResult {
    apply(io, &plan_stop_region(cluster, region))
        .map(drop)
        .map_err(|e| Failure::refused(format!("{e} while stopping heartbeat on region '{region}'")))
}

pub fn unregister_cluster(
    ctx: &mut Context<'_>,
    _session: &mut Session,
    args: Vec<OsString>,
) -> CmdResult {
    let (mut io, clusters, state) = active_cluster_of(ctx, &args)?;
    plan_and_apply(&mut io, plan_unregister(&state.name, &clusters, &state))?;
    ctx.verbose(format!("Cluster '{}' unregistered", state.name));
    Ok(())
}

/// Whether a registered cluster counts as online (reference §4.8): this host's node is
/// registered, and in global mode at least one heartbeat region exists.
pub fn is_online(state: &ClusterState) -> bool {
    online_rule(
        state.local_node().is_some(),
        state.is_global(),
        !state.regions.is_empty(),
    )
}

/// [`is_online`] for what a status report reads of the cluster.
pub fn summary_is_online(summary: &configfs::ClusterSummary) -> bool {
    online_rule(
        summary.has_local_node,
        summary.is_global(),
        !summary.regions.is_empty(),
    )
}

fn online_rule(has_local_node: bool, global: bool, has_regions: bool) -> bool {
    has_local_node && (!global || has_regions)
}

/// What `cluster-status` found: the line it prints and, for `--json`, the details.
struct StatusReport {
    line: String,
    online: bool,
    json: crate::json::ClusterStatus,
}

fn examine_status(ctx: &mut Context<'_>, wanted: Option<&[u8]>) -> StatusReport {
    let offline = |name: Option<String>, json: crate::json::ClusterStatus| StatusReport {
        line: match &name {
            Some(n) => format!("Cluster '{n}' is offline\n"),
            None => "offline\n".to_string(),
        },
        online: false,
        json,
    };
    let mut json = crate::json::ClusterStatus {
        schema: crate::json::SCHEMA_VERSION,
        ..Default::default()
    };
    // A query: nothing is loaded or changed on the machine.
    let mut io = match init_classic(&ctx.root, false) {
        Ok(info) => RealConfigfs::for_root(info.configfs, ctx.root.is_real_root()),
        Err(e) => {
            ctx.error(format!("{e} while initializing the cluster"));
            json.error = Some(e.to_string());
            return offline(None, json);
        }
    };
    let clusters = match read_clusters(&mut io) {
        Ok(Some(c)) => c,
        Ok(None) => return offline(None, json),
        Err(e) => {
            ctx.error(format!("{e} while looking up the registered cluster"));
            json.error = Some(e.to_string());
            return offline(None, json);
        }
    };
    let Some(active) = clusters.first() else {
        return offline(None, json);
    };
    json.cluster = Some(active.to_string());
    if let Some(wanted) = wanted {
        // The reference compares at most 16 characters (its name buffer).
        let w = &wanted[..wanted.len().min(16)];
        let a = &active.as_str().as_bytes()[..active.as_str().len().min(16)];
        if w != a {
            return offline(Some(wanted.to_str_lossy().into_owned()), json);
        }
    }
    let state = match read_cluster(&mut io, active) {
        Ok(s) => s,
        Err(e) => {
            ctx.error(format!("{e} while reading cluster '{active}'"));
            json.error = Some(e.to_string());
            return offline(Some(active.to_string()), json);
        }
    };
    json.registered = state.local_node().is_some();
    json.local_node = state.local_node().map(|n| n.name.to_string());
    json.heartbeat_mode = Some(state.heartbeat_mode.clone());
    json.heartbeat_regions = state.regions.iter().map(|r| r.name.to_string()).collect();
    json.heartbeat_regions.sort();
    if is_online(&state) {
        json.online = true;
        StatusReport {
            line: format!("Cluster '{active}' is online\n"),
            online: true,
            json,
        }
    } else {
        offline(Some(active.to_string()), json)
    }
}

pub fn cluster_status(
    ctx: &mut Context<'_>,
    _session: &mut Session,
    args: Vec<OsString>,
) -> CmdResult {
    // The reference parses no options here; `--json` is ours.
    let json = args.iter().any(|a| a == "--json");
    let wanted = args.iter().find(|a| *a != "--json").map(bytes);
    let report = examine_status(ctx, wanted);
    if json {
        ctx.print(report.json.render().as_bytes());
    } else {
        ctx.print(report.line.as_bytes());
    }
    if report.online {
        Ok(())
    } else {
        Err(Failure::Status(1))
    }
}

/// Finds the device of every region and reads its heartbeat parameters.
fn region_devices(
    ctx: &Context<'_>,
    regions: &[&str],
) -> HashMap<String, o2cb_sys::volume::DeviceRegion> {
    o2cb_sys::volume::find_all(&ctx.root, regions)
        .into_iter()
        .filter_map(|(uuid, volume)| Some((uuid, volume.region().ok()?)))
        .collect()
}

pub fn start_heartbeat(
    ctx: &mut Context<'_>,
    session: &mut Session,
    args: Vec<OsString>,
) -> CmdResult {
    let Some(arg) = args.first() else {
        return Err(Failure::Usage);
    };
    let name = bytes(arg);
    let cluster = known_cluster(session.doc.config(), name)?.clone();
    let (_, mut io) = init(ctx, true)?;
    let clusters = registered(&mut io)?;
    let state = match clusters.iter().find(|c| c.as_str().as_bytes() == name) {
        Some(c) => read_cluster(&mut io, c).ok(),
        None => None,
    };
    let Some(state) = state.filter(|s| s.local_node().is_some()) else {
        // The reference prints this and exits 0; a heartbeat that did not start is a
        // failure here (docs/compatibility.md).
        return Err(Failure::refused(format!(
            "Cluster '{}' not registered",
            name.to_str_lossy()
        )));
    };
    if !state.is_global() {
        return Ok(());
    }
    let wanted: Vec<String> = cluster
        .regions
        .iter()
        .map(|r| r.region.to_str_lossy().into_owned())
        .collect();
    let wanted_refs: Vec<&str> = wanted.iter().map(String::as_str).collect();
    let devices = region_devices(ctx, &wanted_refs);
    // Regions this invocation started, to stop again if a later one fails. Regions that were
    // already running are never touched (the reference stops them too).
    let mut started: Vec<ConfigfsName> = Vec::new();
    for region in &wanted {
        let running = state
            .regions
            .iter()
            .any(|r| r.name.as_str() == region && r.is_running());
        if running {
            continue;
        }
        match start_region(&mut io, &state.name, region, devices.get(region)) {
            Ok(name) => started.push(name),
            Err(e) => {
                for r in started.iter().rev() {
                    let _ = apply(&mut io, &plan_stop_region(&state.name, r));
                }
                return Err(e);
            }
        }
    }
    // Regions running but no longer configured are stopped.
    for r in &state.regions {
        if !wanted.iter().any(|w| w == r.name.as_str()) {
            stop_region(&mut io, &state.name, &r.name)?;
        }
    }
    ctx.print(b"Global heartbeat started\n");
    Ok(())
}

/// Starts one configured region on the device that holds its volume.
fn start_region(
    io: &mut dyn ConfigfsIo,
    cluster: &ConfigfsName,
    region: &str,
    device: Option<&o2cb_sys::volume::DeviceRegion>,
) -> Result<ConfigfsName, Failure> {
    let device = device.ok_or_else(|| {
        Failure::refused(format!(
            "Heartbeat region could not be found {region} (no block device has a volume with this UUID)"
        ))
    })?;
    let params = RegionParams::from_device(device).map_err(Failure::refused)?;
    apply(io, &plan_start_region(cluster, &params)).map_err(|e| {
        Failure::refused(format!("{e} while starting heartbeat on region '{region}'"))
    })?;
    Ok(params.name)
}

pub fn stop_heartbeat(
    ctx: &mut Context<'_>,
    _session: &mut Session,
    args: Vec<OsString>,
) -> CmdResult {
    let (mut io, _, state) = active_cluster_of(ctx, &args)?;
    if state.is_global() {
        for r in &state.regions {
            stop_region(&mut io, &state.name, &r.name)?;
        }
    }
    // Printed in local mode too, where nothing was done, as the reference does.
    ctx.print(b"Global heartbeat stopped\n");
    Ok(())
}
