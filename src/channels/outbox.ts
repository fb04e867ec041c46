import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DeliveryError, PermanentDeliveryError, TransientDeliveryError } from './errors';
import type { Channel, ChannelAdapter, OutgoingContent, OutgoingMessage, SendResult } from './types';

/**
 * The dev outbox: where messages go when no provider credentials are set. One JSON file per
 * message, named by a hash of the idempotency key, so a retried send finds the file already there
 * and keeps the first copy, exactly like a provider deduplicating on Idempotency-Key.
 */
export interface OutboxRecord {
  /** Hash of the idempotency key; also the file name and the "provider message id". */
  id: string;
  idempotencyKey: string;
  channel: Channel;
  to: string;
  from?: string;
  subject?: string;
  html?: string;
  text: string;
  kind: string;
  workflowId: string;
  messageKey: string;
  locale: string;
  /** The message's A/B variant, when its kind has variants. */
  variant?: string;
  /** ISO time the first write of this idempotency key happened. */
  createdAt: string;
}

export type NewOutboxRecord = Omit<OutboxRecord, 'id' | 'createdAt'>;

const ID_PATTERN = /^[0-9a-f]{32}$/;
const FILE_PATTERN = /^[0-9a-f]{32}\.json$/;

/** Filesystem-safe id for an idempotency key (128 bits of SHA-256: collisions are not a concern). */
export function outboxId(idempotencyKey: string): string {
  return createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32);
}

export class FileOutbox {
  constructor(
    readonly dir: string,
    /** Injectable clock, for tests that need a known order. */
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Stores the message unless its idempotency key is already here; returns the stored record either way. */
  async write(input: NewOutboxRecord): Promise<OutboxRecord> {
    const id = outboxId(input.idempotencyKey);
    const existing = await this.get(id);
    if (existing) return existing;

    const record: OutboxRecord = { id, ...input, createdAt: this.now().toISOString() };
    await mkdir(this.dir, { recursive: true });
    const target = this.fileOf(id);
    // Temp names start with "." and end in ".tmp", so list() never sees half-written files.
    const temp = path.join(this.dir, `.${id}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    await writeFile(temp, JSON.stringify(record, null, 2), { flag: 'wx' });
    try {
      // link() fails if the target exists, which makes "first write wins" hold even for two
      // concurrent sends of the same key; rename() would let the last one win.
      await link(temp, target);
      return record;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        const winner = await this.get(id);
        if (winner) return winner;
        throw new Error(`outbox file ${target} exists but cannot be read`);
      }
      // Filesystems without hard links: fall back to rename, still atomic, racy only for duplicates.
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EXDEV') {
        await rename(temp, target);
        return record;
      }
      throw err;
    } finally {
      await rm(temp, { force: true });
    }
  }

  /** Newest first. Reads every file, which is fine for a development outbox. */
  async list(limit = 50): Promise<OutboxRecord[]> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => FILE_PATTERN.test(n));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const records: OutboxRecord[] = [];
    // Bounded batches: thousands of parallel reads would run out of file descriptors.
    for (let i = 0; i < names.length; i += 64) {
      const batch = await Promise.all(
        names.slice(i, i + 64).map((n) => this.readRecord(path.join(this.dir, n)).catch(() => undefined)),
      );
      for (const r of batch) if (r) records.push(r);
    }
    records.sort((a, b) =>
      a.createdAt === b.createdAt ? a.id.localeCompare(b.id) : a.createdAt < b.createdAt ? 1 : -1,
    );
    return records.slice(0, Math.max(0, Math.floor(limit)));
  }

  /** Removes every message of these workflows (a customer's erasure); returns how many went. */
  async purgeWorkflows(workflowIds: ReadonlySet<string>): Promise<number> {
    let removed = 0;
    for (const record of await this.list(Number.MAX_SAFE_INTEGER)) {
      if (!workflowIds.has(record.workflowId)) continue;
      await rm(this.fileOf(record.id), { force: true });
      removed++;
    }
    return removed;
  }

  async get(id: string): Promise<OutboxRecord | undefined> {
    // Ids come from URLs: only our own hex names can reach the filesystem.
    if (!ID_PATTERN.test(id)) return undefined;
    return this.readRecord(this.fileOf(id));
  }

  private fileOf(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }

  private async readRecord(file: string): Promise<OutboxRecord | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return JSON.parse(text) as OutboxRecord;
  }
}

/** A channel adapter that "delivers" into the FileOutbox. */
export class OutboxChannelAdapter<C extends OutgoingContent = OutgoingContent> implements ChannelAdapter<C> {
  readonly provider = 'outbox';

  constructor(
    private readonly outbox: FileOutbox,
    readonly channel: C['channel'],
  ) {}

  async send(message: OutgoingMessage<C>): Promise<SendResult> {
    const content: OutgoingContent = message.content;
    if (content.channel !== this.channel) {
      throw new PermanentDeliveryError(`the ${this.channel} outbox got a ${content.channel} message`, this.provider);
    }
    try {
      const record = await this.outbox.write({
        idempotencyKey: message.idempotencyKey,
        channel: content.channel,
        to: content.to,
        ...(content.channel === 'email' ? { from: content.from, subject: content.subject, html: content.html } : {}),
        text: content.text,
        kind: message.meta.kind,
        workflowId: message.meta.workflowId,
        messageKey: message.meta.messageKey,
        locale: message.meta.locale,
        ...(message.meta.variant ? { variant: message.meta.variant } : {}),
      });
      return { provider: this.provider, providerMessageId: record.id };
    } catch (err) {
      if (err instanceof DeliveryError) throw err;
      // Disk full, permissions: worth retrying like a provider outage.
      throw new TransientDeliveryError(`outbox write failed: ${(err as Error).message}`, this.provider);
    }
  }
}
