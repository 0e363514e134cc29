import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { BackendName, PostgresTarget } from '../ledger/backends.js'

/** What the service prints once it serves (see `service-main.ts`). */
export interface ServiceReady {
  readonly port: number
  /** Time to open and recover every store, ms. */
  readonly openMs: number
  readonly logPosition: number
  readonly projectedPosition: number
}

export interface ServiceSpec {
  readonly dataDir: string
  readonly port: number
  readonly backend: BackendName
  readonly postgres?: PostgresTarget
  readonly breakFault?: 'projection-twice'
}

const SERVICE = fileURLToPath(new URL('../ledger/service-main.ts', import.meta.url))

/** Starts a TypeScript entry point of this app in a child Node process (through tsx). */
export function spawnTs(file: string, args: readonly string[], stdin: 'pipe' | 'ignore' = 'ignore'): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', '--conditions=@quire/source', file, ...args], {
    stdio: [stdin, 'pipe', 'inherit'],
  })
}

/**
 * The ledger service as a child process, as the chaos driver sees it: started, waited for until
 * it serves, and SIGKILLed. `exited` settles when the process is gone, with its exit code
 * (`null` after a signal).
 */
export class ServiceProcess {
  readonly child: ChildProcess
  readonly ready: Promise<ServiceReady>
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
  /** The `fatal` line the service printed before exiting by itself, if any. */
  fatal: string | undefined

  private constructor(child: ChildProcess) {
    this.child = child
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
    this.ready = new Promise<ServiceReady>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! })
      lines.on('line', (line) => {
        if (line.startsWith('ready ')) resolve(JSON.parse(line.slice(6)) as ServiceReady)
        else if (line.startsWith('fatal ')) this.fatal = line.slice(6)
      })
      void this.exited.then(({ code, signal }) => reject(new Error(`the service exited before it was ready (code ${code}, signal ${signal})`)))
    })
    this.ready.catch(() => undefined)
  }

  static start(spec: ServiceSpec): ServiceProcess {
    const args = ['--data', spec.dataDir, '--port', String(spec.port), '--backend', spec.backend]
    if (spec.postgres !== undefined) args.push('--pg-url', spec.postgres.connectionString, '--pg-schema', spec.postgres.schema)
    if (spec.breakFault !== undefined) args.push('--break', spec.breakFault)
    return new ServiceProcess(spawnTs(SERVICE, args))
  }

  /** SIGKILL: no handler runs, nothing is flushed. Resolves when the process is gone. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL')
    await this.exited
  }

  /** SIGTERM: the service closes its stores cleanly. */
  async stop(): Promise<void> {
    this.child.kill('SIGTERM')
    await this.exited
  }
}
