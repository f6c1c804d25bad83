/**
 * The debug adapter behind a `"type": "concurrency-trace"` session: VS Code
 * starts every launch configuration through one, so F5, the Run and Debug
 * view, its Stop and Restart buttons work as for any debugger. It runs
 * inside the extension (DebugAdapterInlineImplementation) and speaks just
 * enough of the Debug Adapter Protocol to drive a traced run: initialize,
 * launch (the run starts, with its terminal and live panel, as the Run
 * command starts it), configurationDone, terminate / disconnect (Stop), and
 * `exited` + `terminated` when the run is over. No breakpoints, stepping or
 * pausing: the session is the traced run, and says so when asked for more.
 */
import * as vscode from 'vscode';
import type { LiveRunResult } from '../core/run/liveRun';
import type { LaunchConfigInput } from '../core/setup/launchConfig';
import type { StartedRun } from './runController';

interface DapRequest {
  seq: number;
  type: 'request';
  command: string;
  arguments?: unknown;
}

interface DapResponse {
  seq: number;
  type: 'response';
  request_seq: number;
  command: string;
  success: boolean;
  message?: string;
  body?: unknown;
}

interface DapEvent {
  seq: number;
  type: 'event';
  event: string;
  body?: unknown;
}

/** What a session needs from the extension: start the run a launch request describes. */
export interface TracedSessionHost {
  /** Prepares and starts the run; throws with the message the session fails with. */
  launch(config: LaunchConfigInput): Promise<{ run: StartedRun; commandLine: string }>;
}

/** How long launch waits for configurationDone (VS Code sends it at once: there is nothing to configure). */
const CONFIGURATION_WAIT_MS = 1000;
/**
 * How long disconnect waits for the stopped run to be over before it answers. VS Code
 * restarts a session after the answer: a run that is over by then leaves its panel and
 * terminal to the next run. (Its own wait for the answer is a few seconds.)
 */
const DISCONNECT_WAIT_MS = 1500;

export class TracedRunAdapter implements vscode.DebugAdapter {
  private readonly sent = new vscode.EventEmitter<vscode.DebugProtocolMessage>();
  readonly onDidSendMessage = this.sent.event;
  private seq = 1;
  private run: StartedRun | undefined;
  private stopRequested = false;
  private terminatedSent = false;
  private configured!: () => void;
  private readonly configurationDone = new Promise<void>((resolve) => (this.configured = resolve));

  constructor(private readonly host: TracedSessionHost) {}

  handleMessage(message: vscode.DebugProtocolMessage): void {
    const req = message as DapRequest;
    if (req.type !== 'request') return;
    switch (req.command) {
      case 'initialize':
        this.respond(req, {
          supportsConfigurationDoneRequest: true,
          supportsTerminateRequest: true,
        });
        this.emit('initialized');
        return;
      case 'launch':
        void this.launch(req);
        return;
      case 'configurationDone':
        this.configured();
        this.respond(req);
        return;
      case 'threads':
        // Asked by VS Code whatever the capabilities; the run's threads are in its timeline.
        this.respond(req, { threads: [] });
        return;
      case 'terminate':
        this.stop();
        this.respond(req);
        return;
      case 'disconnect':
        this.stop();
        void Promise.race([this.run?.done, new Promise((r) => setTimeout(r, DISCONNECT_WAIT_MS))]).then(() => this.respond(req), () => this.respond(req));
        return;
      default:
        this.respond(req, undefined, `"${req.command}" is not available: this session is a traced run (Concurrency Trace), not a debugger. Its timeline shows what the program does.`);
    }
  }

  dispose(): void {
    this.stop();
    this.sent.dispose();
  }

  private async launch(req: DapRequest): Promise<void> {
    await Promise.race([this.configurationDone, new Promise((r) => setTimeout(r, CONFIGURATION_WAIT_MS))]);
    if (this.stopRequested) {
      this.respond(req, undefined, 'the session was stopped before the run started');
      return;
    }
    let started: { run: StartedRun; commandLine: string };
    try {
      started = await this.host.launch((req.arguments ?? {}) as LaunchConfigInput);
    } catch (err) {
      this.respond(req, undefined, (err as Error).message);
      return;
    }
    this.run = started.run;
    if (this.stopRequested) started.run.stop();
    this.output(`Traced run: ${started.commandLine}\n`);
    this.respond(req);
    void started.run.done.then((result) => this.ended(result), () => this.ended(undefined));
  }

  private ended(result: LiveRunResult | undefined): void {
    if (result) {
      if (result.traceFile) this.output(`Trace saved to ${result.traceFile}\n`);
      // A run ended by a signal has no exit code; DAP's exited event needs a number (128 + n, as a shell says).
      const code = result.exitCode ?? result.store.meta.exitCode ?? 1;
      this.emit('exited', { exitCode: code });
    }
    this.terminate();
  }

  private stop(): void {
    this.stopRequested = true;
    this.run?.stop();
    if (!this.run) this.terminate();
  }

  private terminate(): void {
    if (this.terminatedSent) return;
    this.terminatedSent = true;
    this.emit('terminated');
  }

  private output(text: string): void {
    this.emit('output', { category: 'console', output: text });
  }

  private respond(req: DapRequest, body?: unknown, error?: string): void {
    const response: DapResponse = { seq: this.seq++, type: 'response', request_seq: req.seq, command: req.command, success: !error };
    if (error) response.message = error;
    if (body !== undefined) response.body = body;
    this.sent.fire(response);
  }

  private emit(event: string, body?: unknown): void {
    const e: DapEvent = { seq: this.seq++, type: 'event', event };
    if (body !== undefined) e.body = body;
    this.sent.fire(e);
  }
}

/** Gives each concurrency-trace session its own adapter, in the extension host. */
export class TracedRunAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly hostFor: (session: vscode.DebugSession) => TracedSessionHost) {}

  createDebugAdapterDescriptor(session: vscode.DebugSession): vscode.DebugAdapterDescriptor {
    return new vscode.DebugAdapterInlineImplementation(new TracedRunAdapter(this.hostFor(session)));
  }
}
