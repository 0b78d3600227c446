/**
 * Counts the Firestore operations this process makes, the way Firestore bills them: a document read per document
 * fetched (a query that returns nothing still costs one), a write or delete per document written in a commit (a
 * transaction retried is billed again, and counted again). It patches the client library's prototypes for as long
 * as the meter is installed; nothing else changes. Used by the bench on the emulator, which bills nothing itself.
 */
import { Firestore, Query, QuerySnapshot, Transaction, WriteBatch } from '@google-cloud/firestore';

export interface FirestoreOps {
  reads: number;
  writes: number;
  deletes: number;
}

type Method = (...args: unknown[]) => unknown;

function billedReads(result: unknown): number {
  if (result instanceof QuerySnapshot) return Math.max(1, result.size);
  if (Array.isArray(result)) return result.length;
  return 1;
}

/** Installs the meter; returns the live counts and a function that removes it. */
export function meterFirestore(): { readonly ops: FirestoreOps; readonly uninstall: () => void } {
  const ops: FirestoreOps = { reads: 0, writes: 0, deletes: 0 };
  const restores: (() => void)[] = [];
  const patch = (proto: object, name: string, onResult: (args: unknown[], result: unknown) => void) => {
    const original = Reflect.get(proto, name) as Method;
    const wrapped = function (this: unknown, ...args: unknown[]): unknown {
      const result = original.apply(this, args);
      if (result instanceof Promise) {
        return result.then((value: unknown) => {
          onResult(args, value);
          return value;
        });
      }
      onResult(args, result);
      return result;
    };
    Reflect.set(proto, name, wrapped);
    restores.push(() => Reflect.set(proto, name, original));
  };
  const reads = (_args: unknown[], result: unknown) => {
    ops.reads += billedReads(result);
  };
  // Every read path of the library: a document's get goes through Firestore.getAll; a transaction reads itself.
  patch(Firestore.prototype, 'getAll', reads);
  patch(Query.prototype, 'get', reads);
  patch(Transaction.prototype, 'get', reads);
  patch(Transaction.prototype, 'getAll', reads);
  // Every write path ends in a WriteBatch (DocumentReference.set/update/delete and transactions use one).
  for (const name of ['set', 'create', 'update']) {
    patch(WriteBatch.prototype, name, () => {
      ops.writes += 1;
    });
  }
  patch(WriteBatch.prototype, 'delete', () => {
    ops.deletes += 1;
  });
  return {
    ops,
    uninstall: () => {
      for (const restore of restores.splice(0).reverse()) restore();
    },
  };
}
