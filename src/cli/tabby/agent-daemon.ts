// `tabby agent` without --once: settings from flags, environment and file, then the daemon.
import { openDatastore } from '../../datastore/open.js';
import type { TabbyContext } from '../tabby.js';
import { agentUsage, ConfigError, loadAgentConfig, type AgentConfig } from '../../agent/config.js';
import { runAgent } from '../../agent/daemon.js';

/** The environment openDatastore() reads, with the datastore the settings chose. */
export function datastoreEnv(config: AgentConfig, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, TABBY_DATA_DIR: config.dataDir };
  if (config.etcdEndpoints.length > 0) out.ETCD_ENDPOINTS = config.etcdEndpoints.join(',');
  else delete out.ETCD_ENDPOINTS;
  return out;
}

export async function agentDaemonCommand(args: string[], ctx: TabbyContext): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    ctx.stdout.write(agentUsage());
    return 0;
  }
  let config: AgentConfig;
  try {
    config = loadAgentConfig({ argv: args, env: ctx.env, hostname: ctx.hostname });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    ctx.stderr.write(`tabby agent: invalid configuration: ${err.message}\n`);
    return 1;
  }
  return runAgent(config, { openDatastore: (c) => openDatastore(datastoreEnv(c, ctx.env)) });
}
