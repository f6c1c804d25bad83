/**
 * What the CLI itself prints. Messages go to stderr as one line each, with
 * every control character escaped (they may carry file names and trace
 * strings). Output to stdout survives a reader that goes away early
 * (`summary --json | head`): EPIPE ends the command quietly.
 */
import { terminalSafe } from '../core/export/terminalText';

/** One line on stderr: "concurrency-trace: <message>". */
export function say(message: string): void {
  process.stderr.write(`concurrency-trace: ${terminalSafe(message)}\n`);
}

let quietOnEpipe = false;

/** Makes a closed stdout (EPIPE) end the process quietly instead of with a stack trace. */
export function exitQuietlyOnClosedStdout(): void {
  if (quietOnEpipe) return;
  quietOnEpipe = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') process.exit(0);
    throw err;
  });
}

/** Writes to stdout and resolves once the bytes are handed to the OS. */
export function writeStdout(text: string): Promise<void> {
  exitQuietlyOnClosedStdout();
  return new Promise((resolve) => {
    process.stdout.write(text, () => resolve());
  });
}
