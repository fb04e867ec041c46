/**
 * `npm run ops -- <command>`: an operator's one command for journeys, talking to Temporal with the app's own
 * configuration (address, namespace, secret; the data directory's development secret under `npm start`).
 * Every action goes through the journey's Updates, so it is validated, idempotent with --key, and recorded.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_TENANT, tenantOfWorkflowId } from '../workflows/tenant';
import { Client, Connection } from '@temporalio/client';
import type { z } from 'zod';
import { AftercareClient } from '../client';
import { loadConfig, temporalAddressOf } from '../config';
import { AftercareError } from '../errors';
import type { JourneyAction } from '../gateway/operations';
import { formatPath } from '../lib/validation';
import { loadPlaybook } from '../playbook/load';
import { cancelBody, pauseMarketingBody, resendBody, retryBody, skipBody, waitBody } from '../schemas/operations';
import { resolveKeys } from '../secrets';
import { dataConverterFor } from '../temporal/codec';
import { orderJourneyId, type OrderJourneyState } from '../workflows/order/contract';
import { STUCK_JOURNEYS_QUERY } from '../gateway/stuck';
import { listLinks, listUrl } from './list-links';
import { isVersionCommand, runVersionCommand } from './versions';

const USAGE = `npm run ops -- <command> [options]

  stuck                                   the journeys that need a person: reason, age, Temporal UI link
  show <orderId>                          one journey: where it is, what it waits for, its messages and actions
  retry <orderId> [--reason TEXT]         retry the message being sent now (after a provider outage)
  skip <orderId> --reason TEXT            skip the message being sent
  resend <orderId> <messageKey> --reason TEXT   send a message again under a new idempotency key
  wait <orderId> (--until ISO | --by 2h|-30m) --reason TEXT   move the end of the current wait
  cancel <orderId> --reason TEXT          cancel the order's remaining follow-ups (the record stays)
  pause-marketing <orderId> [--until ISO | --for 30d] --reason TEXT
  resume-marketing <orderId> --reason TEXT
  links                                   ready-made Temporal UI lists (stuck, survey answers, VIP, failures today)

  Worker Versioning (AFTERCARE_DEPLOYMENT_NAME, or --deployment NAME; docs/workflow-versions.md):
  versions                                the deployment's builds: current, draining, drained, pinned workflows left
  promote [buildId] [--force]             make a build current (its workers must be polling; default: this
                                          checkout's build, AFTERCARE_BUILD_ID or its workflow bundle's hash);
                                          refuses a build older than the current one: use rollback (--force: the
                                          newer build added no patch, its journeys replay on the older one)
  rollback <buildId>                      make an older build current safely: pin the running journeys of the
                                          current build to it, promote <buildId>, pin those started meanwhile
  unpin <buildId> [--force]               lift those pins once a build that keeps <buildId>'s patches is current
  upgrade-lifecycles [--rate N] [--dry-run]   wake lifecycles pinned to older builds: each continues as new onto
                                          the current one (up to 4 Actions each; N signals a second, default 20)

  --key ID   the action's idempotency key: the same key again is the same action (default: a new one, printed)
  --as NAME  who acts, kept with the action in the journey's events (default: your login name)
  --tenant ID  the business whose order it is (AFTERCARE_TENANTS; default: the default tenant)
  --json     print JSON`;

class UsageError extends Error {}

function parsed<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new UsageError(result.error.issues.map((i) => `--${formatPath(i.path) || 'input'}: ${i.message}`).join('\n'));
}

/** `env`: the variables to configure from (tests); absent, the process's own, read where config reads them. */
export async function runOps(
  argv: string[],
  out: (line: string) => void,
  env?: Record<string, string | undefined>,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      reason: { type: 'string' },
      until: { type: 'string' },
      by: { type: 'string' },
      for: { type: 'string' },
      key: { type: 'string' },
      as: { type: 'string' },
      tenant: { type: 'string' },
      deployment: { type: 'string' },
      rate: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, orderId, messageKey] = positionals;
  if (!command || values.help) {
    out(USAGE);
    return command ? 0 : 2;
  }
  const config = env ? loadConfig(env) : loadConfig();
  const keys = resolveKeys(config);
  const uiBase = config.temporal.uiUrl;
  const namespace = config.temporal.namespace;
  const journeyLink = (workflowId: string) =>
    `${uiBase}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  const print = (value: unknown, text: () => string) => out(values.json ? JSON.stringify(value, null, 2) : text());

  if (command === 'links') {
    const links = listLinks(uiBase, namespace, new Date());
    print(links, () => links.map((l) => `${l.title.padEnd(28)} ${l.url}`).join('\n'));
    return 0;
  }

  const deploymentName = values.deployment ?? config.temporal.versioning?.deploymentName;
  if (isVersionCommand(command) && !deploymentName) {
    throw new UsageError(`${command} needs the deployment: set AFTERCARE_DEPLOYMENT_NAME or pass --deployment NAME`);
  }
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && !(rate > 0)) throw new UsageError('--rate: a number of signals a second, above 0');

  const address = temporalAddressOf(config);
  const connection = await Connection.connect({ address, connectTimeout: 5000 });
  try {
    const client = new Client({ connection, namespace, dataConverter: dataConverterFor(keys.payloads) });
    if (isVersionCommand(command)) {
      return await runVersionCommand(command, {
        client,
        namespace,
        deploymentName: deploymentName!,
        buildId: orderId,
        configuredBuildId: config.temporal.versioning?.buildId,
        perSecond: rate,
        dryRun: values['dry-run'],
        force: values.force,
        identity: `${values.as ?? os.userInfo().username} (npm run ops)`,
        print,
      });
    }
    const tenant = values.tenant ?? DEFAULT_TENANT;
    if (tenant !== DEFAULT_TENANT && !config.tenants.some((t) => t.id === tenant)) {
      throw new UsageError(`--tenant: no tenant "${tenant}" in AFTERCARE_TENANTS`);
    }
    const aftercare = new AftercareClient({ client, playbook: loadPlaybook(config.playbookPath), keys, tenant });
    const ops = aftercare.operations;

    if (command === 'stuck') {
      const stuck = await ops.stuck();
      const now = Date.now();
      print(stuck, () =>
        stuck.length === 0
          ? 'No stuck journeys.'
          : [
              `${stuck.length} stuck journey${stuck.length === 1 ? '' : 's'}:`,
              ...stuck.map((s) => {
                const age = s.since ? `${Math.max(0, Math.round((now - Date.parse(s.since)) / 60_000))} min` : '?';
                const of = tenantOfWorkflowId(s.workflowId);
                const order = of === DEFAULT_TENANT ? s.orderId : `${s.orderId} (${of})`;
                return `  ${order.padEnd(24)} ${s.reason.padEnd(22)} ${age.padStart(8)}  ${journeyLink(s.workflowId)}`;
              }),
              `All in the UI: ${listUrl(uiBase, namespace, STUCK_JOURNEYS_QUERY)}`,
            ].join('\n'),
      );
      return 0;
    }

    if (!orderId) throw new UsageError(`${command} needs an order id`);
    if (command === 'show') {
      const state = await aftercare.orders.get(orderId);
      print(state, () => describeJourney(state, journeyLink(orderJourneyId(orderId, tenant))));
      return 0;
    }

    const key = values.key ?? randomUUID();
    const body = {
      ...(values.reason !== undefined ? { reason: values.reason } : {}),
      ...(values.until !== undefined ? { until: values.until } : {}),
    };
    let result: { outcome: string };
    if (command === 'pause-marketing' || command === 'resume-marketing') {
      const b = parsed(pauseMarketingBody, { ...body, ...(values.for !== undefined ? { for: values.for } : {}) });
      const until = b.until ?? (b.for ? new Date(Date.now() + b.for).toISOString() : undefined);
      result = await ops.marketing(
        orderId,
        { action: command, reason: b.reason, ...(command === 'pause-marketing' && until ? { until } : {}) },
        { requestId: key },
      );
    } else {
      const by = values.as ?? os.userInfo().username;
      result = await ops.act(
        orderId,
        { ...journeyAction(command, body, messageKey, values.by), ...(by ? { by } : {}) },
        { requestId: key },
      );
    }
    print({ ...result, key }, () => `${result.outcome}\n(idempotency key ${key}: --key ${key} repeats this safely)`);
    return 0;
  } finally {
    await connection.close();
  }
}

function journeyAction(
  command: string,
  body: { reason?: string; until?: string },
  messageKey: string | undefined,
  by: string | undefined,
): JourneyAction {
  switch (command) {
    case 'retry':
      return { action: 'retry', ...parsed(retryBody, body) };
    case 'skip':
      return { action: 'skip', ...parsed(skipBody, body) };
    case 'resend':
      return { action: 'resend', ...parsed(resendBody, { ...body, messageKey }) };
    case 'wait': {
      const b = parsed(waitBody, { ...body, ...(by !== undefined ? { by } : {}) });
      return { action: 'change-wait', reason: b.reason, ...(b.until ? { until: b.until } : { byMs: b.by! }) };
    }
    case 'cancel':
      return { action: 'cancel', ...parsed(cancelBody, body) };
    default:
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

function describeJourney(state: OrderJourneyState, link: string): string {
  const lines = [
    `Order ${state.orderId} · customer ${state.customerId} · ${state.status} · stage ${state.stage}`,
    `Waiting for: ${state.next ? `${state.next.what}${state.next.until ? ` until ${state.next.until}` : ''}` : 'nothing'}`,
    ...(state.stuck
      ? [
          `STUCK (${state.stuck.reason}) since ${state.stuck.since}: ${state.stuck.detail}`,
          `  what to do: ${state.stuck.remedy}`,
        ]
      : []),
    'Messages:',
    ...state.messages.map(
      (m) =>
        `  ${m.key.padEnd(28)} ${m.status.padEnd(8)} ${m.channel ?? ''}${m.variant ? `  variant ${m.variant}` : ''}${m.reason ? `  (${m.reason})` : ''}`,
    ),
    ...state.events
      .filter((e) => e.type === 'operator')
      .map((e) =>
        e.type === 'operator'
          ? `Operator ${e.action}${e.by ? ` by ${e.by}` : ''} at ${e.at}: ${e.reason} → ${e.outcome}`
          : '',
      ),
    `Temporal UI: ${link}`,
  ];
  return lines.join('\n');
}

if (process.argv[1] && /ops[/\\]cli\.ts$/.test(process.argv[1])) {
  runOps(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const e = err as Error;
      const message =
        err instanceof UsageError || err instanceof AftercareError ? e.message : `${e.name}: ${e.message}`;
      process.stderr.write(`ops: ${message}\n`);
      process.exit(err instanceof UsageError ? 2 : 1);
    },
  );
}
