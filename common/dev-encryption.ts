/**
 * `npm start`'s development encryption key: created once under the data folder (git-ignored), random,
 * readable by its owner only, and handed to the worker, the receiver, the codec server and the CLI
 * through FIELDBRIDGE_ENCRYPTION_KEY_FILE. Keys given in the environment win (nothing is created).
 */
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyEntry } from './codec';

export const DEV_KEY_FILE_NAME = 'encryption-keys';

export interface DevEncryption {
  /** The key file in use; null when the keys come from FIELDBRIDGE_ENCRYPTION_KEYS. */
  keyFile: string | null;
  /** A new key file was written on this start. */
  created: boolean;
}

export function ensureDevEncryptionKey(dataDir: string, env: NodeJS.ProcessEnv, now: Date = new Date()): DevEncryption {
  if (env.FIELDBRIDGE_ENCRYPTION_KEY_FILE) return { keyFile: env.FIELDBRIDGE_ENCRYPTION_KEY_FILE, created: false };
  if (env.FIELDBRIDGE_ENCRYPTION_KEYS) return { keyFile: null, created: false };
  const keyFile = join(dataDir, DEV_KEY_FILE_NAME);
  let created = false;
  if (!existsSync(keyFile)) {
    const id = `dev-${now.toISOString().slice(0, 10).replace(/-/g, '')}`;
    // 'wx': never overwrite a key file (its key decrypts the stored histories); 0600: owner only.
    const fd = openSync(keyFile, 'wx', 0o600);
    try {
      writeSync(fd, `# FieldBridge development encryption key, made by npm start. The first key encrypts; keep older ones below it to read older histories.\n${generateKeyEntry(id)}\n`);
    } finally {
      closeSync(fd);
    }
    created = true;
  }
  env.FIELDBRIDGE_ENCRYPTION_KEY_FILE = keyFile;
  return { keyFile, created };
}

/** The addresses of `npm start`'s dev server, as the CLI reaches it by default. */
const LOCAL_DEV_ADDRESSES = new Set(['127.0.0.1:7233', 'localhost:7233']);

/**
 * The CLI's environment on the machine where `npm start` runs: with no keys configured and the dev
 * server's default address, the key file npm start made under the data folder (when it exists), so
 * `npx fieldbridge status …` reads the encrypted demo syncs. Anywhere else the environment is
 * returned unchanged: configure FIELDBRIDGE_ENCRYPTION_KEYS or FIELDBRIDGE_ENCRYPTION_KEY_FILE.
 */
export function withDevKeyFile(env: NodeJS.ProcessEnv, dataDir: string = env.FIELDBRIDGE_DATA_DIR ?? join(__dirname, '..', '.data')): NodeJS.ProcessEnv {
  if (env.FIELDBRIDGE_ENCRYPTION_KEYS || env.FIELDBRIDGE_ENCRYPTION_KEY_FILE || env.FIELDBRIDGE_ENCRYPTION_KEYS_FILE) return env;
  if (!LOCAL_DEV_ADDRESSES.has(env.TEMPORAL_ADDRESS || '127.0.0.1:7233')) return env;
  const keyFile = join(dataDir, DEV_KEY_FILE_NAME);
  return existsSync(keyFile) ? { ...env, FIELDBRIDGE_ENCRYPTION_KEY_FILE: keyFile } : env;
}
