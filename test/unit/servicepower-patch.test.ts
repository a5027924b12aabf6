/** ServicePower work order pieces: seed 004's sample, PATCH documents (build and apply), JSONPath subset, DispatchStatus rules. */
import fixture from '../fixtures/servicepower-work-order.json';
import { dispatchStatusFor, missingForDispatchStatus } from '../../connectors/servicepower/dispatch';
import { JsonPathError, parsePath, removeMatches } from '../../connectors/servicepower/jsonpath';
import { applyWorkOrderPatch, buildWorkOrderPatch, isEmptyPatch } from '../../connectors/servicepower/patch';
import { WorkOrderSchema } from '../../connectors/servicepower/schemas';

type Json = Record<string, unknown>;

const base: Json = {
  Account: { AccountNum: 'NW-1000' },
  Location: { Name: 'Store 12', Address: { AddrLine1: '1 Main St', AddrLine2: 'Suite 4', City: 'Raleigh', Zip: '27601' }, Contacts: [{ FirstName: 'Ann', Phones: [{ PhoneNum: '1' }] }] },
  Description: 'Leaking sink',
  Priority: '2',
  PurchaseOrder: { PONum: 'PO-1', Amount: 500 },
  Notes: [
    { ID: 'N1', Text: 'first', Author: 'sc' },
    { ID: 'N2', Text: 'second', Author: 'sc' },
  ],
  Remarks: 'call ahead',
  Extensions: { 'SC WO': '123' },
};

describe("seed 004's work order sample", () => {
  it('parses (the two syntax slips fixed) and keeps the properties it does not model', () => {
    const wo = WorkOrderSchema.parse(fixture);
    expect(wo.DispatchStatus).toBe(0);
    expect(wo.OrderStatus).toBe('');
    expect(wo.PurchaseOrder).toEqual({ Amount: 24, PONum: '' });
    expect((wo.Rules as Json).IsTravelRequired).toBe(false);
    expect((wo.Rules as Json).ModelNumPattern).toBe('');
    expect(wo.Items).toHaveLength(1);
    expect(Object.keys(wo)).toHaveLength(Object.keys(fixture).length);
  });

  it('requires Account and Location unless Deleted, and checks the value domains, naming the property', () => {
    const { Account: _a, ...noAccount } = fixture as Json;
    expect(WorkOrderSchema.safeParse(noAccount).error?.issues.map((i) => i.path.join('.'))).toEqual(['Account']);
    expect(WorkOrderSchema.safeParse({ Deleted: true }).success).toBe(true);
    const issues = (input: Json) => WorkOrderSchema.safeParse({ ...fixture, ...input }).error?.issues.map((i) => i.path.join('.'));
    expect(issues({ DispatchStatus: 4 })).toEqual(['DispatchStatus']);
    expect(issues({ OrderStatus: '5' })).toEqual(['OrderStatus']);
    expect(issues({ OrderType: '2001' })).toEqual(['OrderType']);
    expect(issues({ Priority: '100' })).toEqual(['Priority']);
    expect(issues({ PlannedStartDate: 'tomorrow' })).toEqual(['PlannedStartDate']);
    expect(WorkOrderSchema.parse({ ...fixture, DispatchStatus: '3', OrderStatus: 4096, Priority: 7 })).toMatchObject({ DispatchStatus: 3, OrderStatus: '4096', Priority: '7' });
  });
});

describe('buildWorkOrderPatch', () => {
  const cases: Array<{ name: string; after: (b: Json) => Json; patch: Json }> = [
    { name: 'nothing changed', after: (b) => structuredClone(b), patch: {} },
    { name: 'a scalar changed', after: (b) => ({ ...b, Priority: '1' }), patch: { Priority: '1' } },
    {
      name: 'a nested property changed: only that property, inside its objects',
      after: (b) => ({ ...b, PurchaseOrder: { PONum: 'PO-1', Amount: 750 } }),
      patch: { PurchaseOrder: { Amount: 750 } },
    },
    { name: 'a top-level property removed: _fields', after: ({ Remarks: _r, ...rest }) => rest, patch: { _fields: ['Remarks'] } },
    {
      name: 'a nested property removed: _paths',
      after: (b) => {
        const a = structuredClone(b) as { Location: { Address: Json } };
        delete a.Location.Address.AddrLine2;
        return a as unknown as Json;
      },
      patch: { _paths: ['$.Location.Address.AddrLine2'] },
    },
    {
      name: 'a property whose name is not an identifier removed: bracket notation',
      after: (b) => ({ ...b, Extensions: {} }),
      patch: { _paths: ["$.Extensions['SC WO']"] },
    },
    {
      name: 'a note added: only the new entry',
      after: (b) => ({ ...b, Notes: [...(b.Notes as Json[]), { ID: 'N3', Text: 'third' }] }),
      patch: { Notes: [{ ID: 'N3', Text: 'third' }] },
    },
    {
      name: 'a note removed: Delete',
      after: (b) => ({ ...b, Notes: [(b.Notes as Json[])[1]] }),
      patch: { Notes: [{ ID: 'N1', Delete: true }] },
    },
    {
      name: "a note's text changed: the entry by ID with the change only",
      after: (b) => ({ ...b, Notes: [(b.Notes as Json[])[0], { ID: 'N2', Text: 'second, edited', Author: 'sc' }] }),
      patch: { Notes: [{ ID: 'N2', Text: 'second, edited' }] },
    },
    {
      name: "a property of a note removed: _paths with a filter on the note's ID",
      after: (b) => ({ ...b, Notes: [{ ID: 'N1', Text: 'first' }, (b.Notes as Json[])[1]] }),
      patch: { _paths: ["$.Notes[?(@.ID=='N1')].Author"] },
    },
    {
      name: 'every note removed: a Delete per note',
      after: (b) => ({ ...b, Notes: [] }),
      patch: { Notes: [{ ID: 'N1', Delete: true }, { ID: 'N2', Delete: true }] },
    },
    {
      name: 'a collection without IDs changed: sent whole',
      after: (b) => ({ ...b, Location: { ...(b.Location as Json), Contacts: [{ FirstName: 'Bob' }] } }),
      patch: { Location: { Contacts: [{ FirstName: 'Bob' }] } },
    },
    {
      name: 'a managed account becomes ad hoc: the new properties only',
      after: (b) => ({ ...b, Account: { AccountNum: 'NW-1000', Name: 'Northwind' } }),
      patch: { Account: { Name: 'Northwind' } },
    },
    {
      name: 'several changes at once',
      after: ({ Remarks: _r, ...b }) => ({ ...b, Priority: '0', DispatchStatus: 3, Notes: [(b.Notes as Json[])[0]] }),
      patch: { Priority: '0', DispatchStatus: 3, Notes: [{ ID: 'N2', Delete: true }], _fields: ['Remarks'] },
    },
  ];

  it.each(cases)('$name', ({ after, patch }) => {
    const target = after(structuredClone(base));
    const built = buildWorkOrderPatch(base, target);
    expect(built).toEqual(patch);
    // Applying it (the simulator's semantics) turns before into after.
    expect(applyWorkOrderPatch(base, built)).toEqual(target);
    expect(isEmptyPatch(built)).toBe(Object.keys(patch).length === 0);
  });

  it('does not change its inputs', () => {
    const before = structuredClone(base);
    const after = { ...structuredClone(base), Notes: [] };
    const snapshot = structuredClone(after);
    applyWorkOrderPatch(before, buildWorkOrderPatch(before, after));
    expect(before).toEqual(base);
    expect(after).toEqual(snapshot);
  });
});

describe('applyWorkOrderPatch (seed 004 PATCH semantics)', () => {
  it('changes only the supplied properties, merging nested objects', () => {
    const out = applyWorkOrderPatch(base, { Location: { Address: { City: 'Durham' } } });
    expect(out).toEqual({ ...base, Location: { ...(base.Location as Json), Address: { AddrLine1: '1 Main St', AddrLine2: 'Suite 4', City: 'Durham', Zip: '27601' } } });
  });

  it('_fields removes properties (dotted names reach into objects); empty entries and absent properties are ignored', () => {
    const out = applyWorkOrderPatch(base, { _fields: ['Remarks', '', 'PurchaseOrder.Amount', 'NotThere'] });
    expect(out.Remarks).toBeUndefined();
    expect(out.PurchaseOrder).toEqual({ PONum: 'PO-1' });
    expect(out.Description).toBe('Leaking sink');
  });

  it('_paths removes every match, before the supplied properties merge', () => {
    const out = applyWorkOrderPatch(base, { _paths: ['$.Notes[*]'], Notes: [{ ID: 'N9', Text: 'only' }] });
    expect(out.Notes).toEqual([{ ID: 'N9', Text: 'only' }]);
  });

  it('Delete removes the entry with that ID; an unknown ID is ignored; flags are never stored', () => {
    const out = applyWorkOrderPatch(base, { Notes: [{ ID: 'N2', Delete: true }, { ID: 'N7', Delete: true }, { ID: 'N3', Text: 'new', Delete: false }] });
    expect(out.Notes).toEqual([{ ID: 'N1', Text: 'first', Author: 'sc' }, { ID: 'N3', Text: 'new' }]);
  });
});

describe('JSONPath subset', () => {
  it('reads properties, brackets, indexes, wildcards and filters; refuses anything else naming the position', () => {
    expect(parsePath("$.Notes[?(@.ID=='a\\'b')].Text")).toEqual([
      { kind: 'property', name: 'Notes' },
      { kind: 'filter', property: ['ID'], value: "a'b" },
      { kind: 'property', name: 'Text' },
    ]);
    expect(parsePath('$.Tasks[0].Notes[*]')).toHaveLength(4);
    expect(() => parsePath('Notes')).toThrow(JsonPathError);
    expect(() => parsePath('$..Notes')).toThrow(/position 2/);
    expect(() => parsePath("$.Notes[?(@.ID>'1')]")).toThrow(/expected "=="/);
  });

  it('removes array entries by index from the last down, and filters on numbers', () => {
    const doc: Json = { Items: [{ Qty: 1 }, { Qty: 2 }, { Qty: 1 }] };
    expect(removeMatches(doc, '$.Items[?(@.Qty==1)]')).toBe(2);
    expect(doc).toEqual({ Items: [{ Qty: 2 }] });
  });
});

describe('DispatchStatus rules (seed 004)', () => {
  const user = { UserName: 'tech.alvarez' };
  const planned = { PlannedStartDate: '2026-01-07T14:00:00Z' };
  const dispatched = { DispatchUTC: '2026-01-06T09:00:00Z' };
  it.each([
    [{}, 0],
    [planned, 1],
    [user, 2],
    [{ ...user, ...planned }, 2],
    [{ ...user, ...dispatched }, 2],
    [{ ...planned, ...dispatched }, 1],
    [{ ...user, ...planned, ...dispatched }, 3],
    [{ PrimaryUserName: 'tech.chen', ...planned, ...dispatched }, 3],
  ])('%j -> %i', (facts, status) => {
    expect(dispatchStatusFor(facts)).toBe(status);
  });

  it('names what a claimed status lacks', () => {
    expect(missingForDispatchStatus(3, { ...planned })).toEqual(['DispatchUTC', 'PrimaryUser']);
    expect(missingForDispatchStatus(1, user)).toEqual(['PlannedStartDate']);
    expect(missingForDispatchStatus(2, planned)).toEqual(['PrimaryUser']);
    expect(missingForDispatchStatus(0, {})).toEqual([]);
  });
});
