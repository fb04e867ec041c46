/**
 * Order gateways kept in memory for the shop connectors' unit tests: they remember what they were asked, and keep
 * each journey as its description shows it (missing, running at a stage, closed).
 */
import { ConflictError } from '../../src/errors';
import { loadPlaybook } from '../../src/playbook/load';
import type { WooCommerceDeps } from '../../src/shops/woocommerce/events';
import type { JourneyAt } from '../../src/shops/woocommerce/journeys';
import type { Order, RefundInput, StageUpdate } from '../../src/workflows/order/contract';

const SHOP_PLAYBOOK = loadPlaybook('playbooks/shop.yaml');

export class RecordingShop implements Omit<WooCommerceDeps, 'guestKey'> {
  playbook = SHOP_PLAYBOOK;
  journeysAt = new Map<string, JourneyAt>();
  started: Order[] = [];
  updates: { orderId: string; update: StageUpdate; requestId?: string }[] = [];
  cancels: { orderId: string; reason: string; source?: string; occurredAt?: string; requestId?: string }[] = [];
  refunds: ({ orderId: string; requestId?: string } & RefundInput)[] = [];
  hangMs = 0;
  journeys: WooCommerceDeps['journeys'] = {
    find: async (orderId) => this.journeysAt.get(orderId) ?? { state: 'missing' },
  };
  orders: WooCommerceDeps['orders'] = {
    start: async (order) => {
      await new Promise((r) => setTimeout(r, this.hangMs));
      this.started.push(order);
      this.journeysAt.set(order.orderId, { state: 'running', stage: 'placed' });
      return { orderId: order.orderId, workflowId: `order-${order.orderId}`, created: true };
    },
    advanceStage: async (orderId, update, opts = {}) => {
      this.updates.push({ orderId, update, ...(opts.requestId ? { requestId: opts.requestId } : {}) });
      if (!['delayed', 'problem'].includes(update.stage))
        this.journeysAt.set(orderId, { state: 'running', stage: update.stage });
      return { stage: update.stage, status: 'active' };
    },
    cancel: async (orderId, input, opts = {}) => {
      if (this.journeysAt.get(orderId)?.state === 'closed')
        return { orderId, status: 'cancelled', alreadyCancelled: true };
      this.cancels.push({ orderId, ...input, ...(opts.requestId ? { requestId: opts.requestId } : {}) });
      this.journeysAt.set(orderId, { state: 'closed', status: 'COMPLETED' });
      return { orderId, status: 'cancelled', alreadyCancelled: false };
    },
    refund: async (orderId, input, opts = {}) => {
      if (this.refunds.some((r) => r.refundId === input.refundId)) {
        return { orderId, refundId: input.refundId, applied: false, refundedMinor: 0 };
      }
      if (input.amountMinor > 10_000) throw new ConflictError('too much', 'refund_not_possible');
      this.refunds.push({ orderId, ...input, ...(opts.requestId ? { requestId: opts.requestId } : {}) });
      return { orderId, refundId: input.refundId, applied: true, refundedMinor: input.amountMinor };
    },
  };
}
