import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AlertBook, AlertInstance, Notification } from './book.js';
import { commonAlertPayload, metricAlertPayload, severityName } from './payload.js';

/**
 * Action-group notifications for an alert's state change. Webhooks get the common alert schema (else the
 * older metric alert schema) by POST, only to 127.0.0.1 or localhost (anything else is skipped with a
 * reason: the sandbox sends nothing off the machine), with a timeout per POST and a bounded retry. E-mail, SMS, voice and push are recorded in
 * the AlertBook as what would have been sent. A webhook's query string (where PagerDuty's integration key
 * lives) is never logged or recorded.
 */

/** POSTs JSON; resolves with the HTTP status, rejects on a network error or the timeout. */
export type WebhookPost = (url: URL, body: string, timeoutMs: number, signal: AbortSignal) => Promise<number>;

export interface NotifierOptions {
  book: AlertBook;
  actionGroup: (id: string) => { id: string; properties: Record<string, unknown> } | undefined;
  post?: WebhookPost;
  /** Per POST (default 10 s, as Azure's webhook timeout). */
  timeoutMs?: number;
  /** Pauses before the 2nd and 3rd attempt (default 1 s and 3 s); the caller compresses them with --time-scale. */
  retryDelaysMs?: number[];
  now: () => number;
  signal: AbortSignal;
  log?: (line: string) => void;
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Origin and path only: never the query string or user info. */
export const redactedUri = (url: URL) => `${url.protocol}//${url.host}${url.pathname}`;

export const postJson: WebhookPost = (url, body, timeoutMs, signal) =>
  new Promise((resolve, reject) => {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: timeoutMs,
        signal,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });

const RECORDED_KINDS: Record<string, string> = {
  emailReceivers: 'email',
  smsReceivers: 'sms',
  voiceReceivers: 'voice',
  azureAppPushReceivers: 'azureAppPush',
};

export class Notifier {
  private readonly post: WebhookPost;

  constructor(private readonly opts: NotifierOptions) {
    this.post = opts.post ?? postJson;
  }

  /** Notify every receiver of every action group the rule names; resolves when all are done. */
  async notify(
    alert: AlertInstance,
    actions: { actionGroupId: string; webHookProperties?: Record<string, string> }[],
  ): Promise<void> {
    const work: Promise<void>[] = [];
    for (const action of actions) {
      const base = {
        alertId: alert.id,
        ruleId: alert.ruleId,
        monitorCondition: alert.monitorCondition,
        severity: severityName(alert.severity),
        actionGroupId: action.actionGroupId,
      };
      const group = this.opts.actionGroup(action.actionGroupId);
      if (!group || group.properties['enabled'] === false) {
        this.record({
          ...base,
          receiverType: 'actionGroup',
          receiverName: action.actionGroupId.split('/').pop() ?? '',
          to: '',
          status: 'Skipped',
          reason: group ? 'the action group is disabled' : 'the action group does not exist',
        });
        continue;
      }
      const receivers = (kind: string) => (group.properties[kind] ?? []) as Record<string, unknown>[];
      for (const r of receivers('webhookReceivers'))
        work.push(this.webhook(alert, base, r, action.webHookProperties));
      for (const [kind, receiverType] of Object.entries(RECORDED_KINDS))
        for (const r of receivers(kind)) this.recordMessage(alert, base, receiverType, r);
      for (const [kind, list] of Object.entries(group.properties)) {
        if (kind === 'webhookReceivers' || kind in RECORDED_KINDS || !Array.isArray(list)) continue;
        for (const r of list as Record<string, unknown>[])
          this.record({
            ...base,
            receiverType: kind.replace(/Receivers$/, ''),
            receiverName: String(r['name'] ?? ''),
            to: '',
            status: 'Skipped',
            reason: `the sandbox does not deliver to ${kind}`,
          });
      }
    }
    await Promise.all(work);
  }

  private record(n: Omit<Notification, 'timeMs'>): void {
    this.opts.book.record({ timeMs: this.opts.now(), ...n });
  }

  private recordMessage(
    alert: AlertInstance,
    base: Omit<Notification, 'timeMs' | 'receiverType' | 'receiverName' | 'to' | 'status'>,
    receiverType: string,
    r: Record<string, unknown>,
  ): void {
    const to =
      receiverType === 'sms' || receiverType === 'voice'
        ? `+${String(r['countryCode'])} ${String(r['phoneNumber'])}`
        : String(r['emailAddress'] ?? '');
    const target = alert.targetResource.split('/').pop();
    // Azure's subject line for metric alerts: "<condition>:<severity> Azure Monitor Alert <rule> on <target>".
    const subject = `${alert.monitorCondition}:${severityName(alert.severity)} Azure Monitor Alert ${alert.ruleName} on ${target}`;
    this.record({
      ...base,
      receiverType,
      receiverName: String(r['name'] ?? ''),
      to,
      status: 'Recorded',
      subject,
      text: `${subject} at ${new Date(this.opts.now()).toISOString()}`,
    });
  }

  private async webhook(
    alert: AlertInstance,
    base: Omit<Notification, 'timeMs' | 'receiverType' | 'receiverName' | 'to' | 'status'>,
    r: Record<string, unknown>,
    customProperties: Record<string, string> | undefined,
  ): Promise<void> {
    const receiverName = String(r['name'] ?? '');
    let url: URL;
    try {
      url = new URL(String(r['serviceUri']));
    } catch {
      this.record({
        ...base,
        receiverType: 'webhook',
        receiverName,
        to: '',
        status: 'Skipped',
        reason: 'the serviceUri is not a URL',
      });
      return;
    }
    const to = redactedUri(url);
    const skip = (reason: string) =>
      this.record({ ...base, receiverType: 'webhook', receiverName, to, status: 'Skipped', reason });
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return skip('only http and https webhooks are delivered');
    if (!LOCAL_HOSTS.has(url.hostname.toLowerCase()))
      return skip('the sandbox delivers webhooks only to 127.0.0.1 or localhost');
    const payload = r['useCommonAlertSchema'] === true ? commonAlertPayload : metricAlertPayload;
    const body = JSON.stringify(payload(alert, customProperties));
    const delays = this.opts.retryDelaysMs ?? [1_000, 3_000];
    let attempts = 0;
    let last = '';
    for (;;) {
      attempts++;
      try {
        const status = await this.post(url, body, this.opts.timeoutMs ?? 10_000, this.opts.signal);
        if (status >= 200 && status < 300) {
          this.record({
            ...base,
            receiverType: 'webhook',
            receiverName,
            to,
            status: 'Delivered',
            attempts,
            httpStatus: status,
          });
          this.opts.log?.(`alerts: ${alert.ruleName} ${alert.monitorCondition} → ${to}: ${status}`);
          return;
        }
        last = `HTTP ${status}`;
        // Azure retries only what may succeed later: timeouts, 408, 429, 503, 504 (and network errors).
        if (![408, 429, 503, 504].includes(status)) break;
      } catch (error) {
        last = this.opts.signal.aborted
          ? 'the sandbox stopped'
          : (error as Error).message.replaceAll(url.search, '');
        if (this.opts.signal.aborted) break;
      }
      const delay = delays[attempts - 1];
      if (delay === undefined) break;
      // Abortable: a stopping sandbox leaves no timer behind.
      await sleep(delay, undefined, { signal: this.opts.signal }).catch(() => {});
    }
    this.record({
      ...base,
      receiverType: 'webhook',
      receiverName,
      to,
      status: 'Failed',
      attempts,
      ...(/^HTTP \d+$/.test(last) ? { httpStatus: Number(last.slice(5)) } : {}),
      reason: last,
    });
    this.opts.log?.(
      `alerts: ${alert.ruleName} ${alert.monitorCondition} → ${to}: failed after ${attempts} attempt(s) (${last})`,
    );
  }
}
