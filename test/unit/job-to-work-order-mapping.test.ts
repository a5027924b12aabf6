/**
 * ServiceTrade job -> Spectrum work order, rule by rule (seed 000 "Dexter + Chaney Spectrum Settings
 * and Mappings", seed 001; fields and max lengths from shared/API-NOTES.md section 1).
 */
import {
  clearableValues,
  fieldsSpectrumKeeps,
  lineGroups,
  mapJobToWorkOrder,
  spectrumDateTime,
  workOrderNumber,
  workOrderTypeCode,
  type JobItemSource,
  type JobSource,
  type WorkOrderSettings,
} from '../../mappings/job-to-work-order';

/** Unix seconds of an ISO instant. */
const at = (iso: string): number => Date.parse(iso) / 1000;

function item(overrides: Partial<JobItemSource> = {}): JobItemSource {
  return { id: 501, name: 'Filter 20x20', description: null, quantity: 2, cost: 3.5, price: 7.25, uom: 'EA', libItem: { code: 'FLT-2020' }, ...overrides };
}

function source(overrides: Partial<Omit<JobSource, 'job'>> & { job?: Partial<JobSource['job']> } = {}): JobSource {
  const { job, ...rest } = overrides;
  return {
    job: {
      id: 9001,
      number: '12345678',
      name: 'Quarterly PM',
      type: 'inspection',
      description: 'Inspect rooftop units',
      customerPo: 'PO-778',
      created: at('2025-01-15T15:04:05Z'),
      scheduledDate: null,
      dueBy: null,
      ...job,
    },
    serviceLines: [{ id: 12, name: 'HVAC', abbr: 'HV' }],
    items: [item()],
    customerCode: 'CUST01',
    siteCode: 'SITE01',
    ...rest,
  };
}

function settings(overrides: Partial<WorkOrderSettings> = {}): WorkOrderSettings {
  return { workOrderTypeMap: [], timeZone: 'UTC', ...overrides };
}

const map = (src: Parameters<typeof source>[0] = {}, set: Partial<WorkOrderSettings> = {}) => mapJobToWorkOrder(source(src), settings(set));

describe('WO_Number: leading character + job number (seed 000)', () => {
  // [job number, leading character, work order number]
  const rows: Array<[string, string | undefined, string]> = [
    ['12345678', 'S', 'S12345678'], // seed 000's own example
    ['12345678', undefined, '12345678'], // no leading character: the job number itself
    ['12345678', '7', '712345678'], // a digit is a leading character too
    ['123456789', 'S', 'S123456789'], // exactly 10: fits
    [' 12345678 ', 'S', 'S12345678'], // the job number's surrounding blanks are not part of it
  ];

  test.each(rows)('job %p with leading character %p -> %p', (number, leading, expected) => {
    expect(workOrderNumber(number, leading)).toEqual({ value: expected, problem: null });
    const mapped = map({ job: { number } }, { workOrderNumberLeadingCharacter: leading });
    expect(mapped.workOrderNumber).toBe(expected);
    expect(mapped.header.WO_Number).toBe(expected);
    expect(mapped.problems).toEqual([]);
  });

  test('past 10 characters: a problem naming the number and the setting', () => {
    const mapped = map({ job: { number: '1234567890' } }, { workOrderNumberLeadingCharacter: 'S' });
    expect(mapped.problems).toHaveLength(1);
    expect(mapped.problems[0]).toContain('S1234567890');
    expect(mapped.problems[0]).toContain('1234567890');
    expect(mapped.problems[0]).toContain('11 characters');
    expect(mapped.problems[0]).toContain('SPECTRUM_WO_NUMBER_LEADING_CHARACTER');
  });

  test('past 10 characters without a leading character: a problem naming the number (no setting to blame)', () => {
    const { problems } = map({ job: { number: '12345678901' } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('"12345678901"');
    expect(problems[0]).toContain("Spectrum's WO_Number holds 10");
    expect(problems[0]).not.toContain('SPECTRUM_WO_NUMBER_LEADING_CHARACTER');
  });

  test('a job without a number is a problem', () => {
    expect(map({ job: { number: '  ' } }).problems).toEqual(['the job has no number']);
  });
});

describe('site-specific work order: reference code, site, bill-to customer', () => {
  test('WO_Reference_Code S, WO_Job_Number = the site code, Bill_Customer_Code = the customer code', () => {
    const { header, problems } = map();
    expect(header).toMatchObject({ WO_Reference_Code: 'S', WO_Job_Number: 'SITE01', Bill_Customer_Code: 'CUST01' });
    expect(problems).toEqual([]);
  });

  // [what, source field, header field]
  const codes: Array<[string, 'siteCode' | 'customerCode', string]> = [
    ['site code', 'siteCode', 'WO_Job_Number'],
    ['customer code', 'customerCode', 'Bill_Customer_Code'],
  ];

  test.each(codes)('a %s of exactly 10 characters fits', (_what, field, target) => {
    const { header, problems } = map({ [field]: 'C'.repeat(10) });
    expect(header[target]).toBe('C'.repeat(10));
    expect(problems).toEqual([]);
  });

  test.each(codes)('a %s over 10 characters is a problem (never cut: it would name another record)', (what, field, target) => {
    const { header, problems, truncations } = map({ [field]: 'LONGCODE-123' });
    expect(problems).toEqual([expect.stringContaining(`Spectrum ${what} "LONGCODE-123" is longer than Spectrum's ${target} (10)`)]);
    expect(truncations).toEqual([]);
    expect(header[target]).toBe('LONGCODE-123');
  });
});

describe('WO_Job_Division: the type code map by (job type, service line)', () => {
  const typeMap = [
    { jobType: 'inspection', serviceLine: 'HVAC', workOrderTypeCode: 'INSP' },
    { jobType: 'repair', serviceLine: 'HV', workOrderTypeCode: 'RHV' },
    { jobType: 'repair', serviceLine: 'Plumbing', workOrderTypeCode: 'RPL' },
    { jobType: 'inspection', serviceLine: 'Fire Protection', workOrderTypeCode: 'IFP' },
  ];
  const hvac = { id: 12, name: 'HVAC', abbr: 'HV' };
  const plumbing = { id: 30, name: 'Plumbing', abbr: 'PL' };
  const fire = { id: 7, name: 'Fire Protection', abbr: 'FP' };
  const electrical = { id: 3, name: 'Electrical', abbr: 'EL' };

  // [case, job type, service lines, default, expected code, from, service line picked]
  const rows: Array<[string, string, JobSource['serviceLines'], string | undefined, string, string, string | null]> = [
    ['row by service line name', 'inspection', [hvac], 'DFLT', 'INSP', 'map', 'HVAC'],
    ['row by service line abbreviation', 'repair', [hvac], 'DFLT', 'RHV', 'map', 'HVAC'],
    ['job type compared without regard to case', 'INSPECTION', [hvac], 'DFLT', 'INSP', 'map', 'HVAC'],
    ['service line name compared without regard to case', 'inspection', [{ id: 12, name: 'hvac', abbr: 'x' }], 'DFLT', 'INSP', 'map', 'hvac'],
    ['service line abbreviation compared without regard to case', 'repair', [{ id: 12, name: 'Heating', abbr: 'hv' }], 'DFLT', 'RHV', 'map', 'Heating'],
    ['several lines: the lowest id with a row wins', 'inspection', [hvac, fire], 'DFLT', 'IFP', 'map', 'Fire Protection'],
    ['several lines: a lower id without a row is passed over', 'repair', [electrical, plumbing, hvac], 'DFLT', 'RHV', 'map', 'HVAC'],
    ['no row for the pair: the default', 'repair', [fire], 'DFLT', 'DFLT', 'default', null],
    ['no row for the job type: the default', 'installation', [hvac], 'DFLT', 'DFLT', 'default', null],
    ['no service lines: the default', 'inspection', [], 'DFLT', 'DFLT', 'default', null],
    ['no row and no default: blank, Spectrum\'s default division', 'repair', [fire], undefined, '', 'spectrum-default-division', null],
    ['no row and an empty default: blank', 'repair', [fire], '', '', 'spectrum-default-division', null],
  ];

  test.each(rows)('%s', (_case, jobType, serviceLines, defaultCode, code, from, serviceLine) => {
    const set = { workOrderTypeMap: typeMap, defaultWorkOrderTypeCode: defaultCode };
    expect(workOrderTypeCode(jobType, serviceLines, set)).toEqual({ code, from, serviceLine });
    const mapped = map({ job: { type: jobType }, serviceLines }, set);
    expect(mapped.header.WO_Job_Division).toBe(code);
    expect(mapped.workOrderType).toEqual({ code, from, serviceLine });
  });

  test('the order of the services on the job never changes the pick', () => {
    const lines = [plumbing, hvac, fire, electrical, { ...hvac }];
    const picks = new Set<string>();
    for (let rotation = 0; rotation < lines.length; rotation += 1) {
      const rotated = [...lines.slice(rotation), ...lines.slice(0, rotation)];
      for (const order of [rotated, [...rotated].reverse()]) {
        picks.add(JSON.stringify(workOrderTypeCode('repair', order, { workOrderTypeMap: typeMap })));
      }
    }
    expect([...picks]).toEqual([JSON.stringify({ code: 'RHV', from: 'map', serviceLine: 'HVAC' })]);
  });
});

describe('lead source and warehouse from the defaults', () => {
  test('Lead_Source is the default lead source', () => {
    expect(map({}, { defaultLeadSourceCode: 'WEB' }).header.Lead_Source).toBe('WEB');
  });

  test('no default lead source: Lead_Source blank', () => {
    expect(map().header.Lead_Source).toBe('');
  });

  test('every line carries the default warehouse', () => {
    const { lines } = map({ items: [item({ id: 1 }), item({ id: 2, libItem: { code: 'BELT-A' } }), item({ id: 3, libItem: null })] }, { defaultWarehouseCode: 'MAIN', otherItemCode: 'MISC' });
    expect(lines.map((l) => l.fields.Warehouse_Code)).toEqual(['MAIN', 'MAIN', 'MAIN']);
  });

  test('no default warehouse: Warehouse_Code blank on every line (Spectrum assigns its own)', () => {
    const { lines } = map({ items: [item({ id: 1 }), item({ id: 2 })] });
    expect(lines.map((l) => l.fields.Warehouse_Code)).toEqual(['', '']);
  });
});

describe('material lines: item codes', () => {
  test('a library item uses its code', () => {
    const { lines, problems } = map({ items: [item({ id: 1, libItem: { code: 'FLT-2020' } })] }, { otherItemCode: 'MISC' });
    expect(lines).toEqual([{ jobItemId: 1, fields: expect.objectContaining({ Item_Code: 'FLT-2020' }) }]);
    expect(problems).toEqual([]);
  });

  test('an item not in the library uses the other item code', () => {
    const { lines, problems } = map({ items: [item({ id: 1, libItem: null })] }, { otherItemCode: 'MISC' });
    expect(lines[0].fields.Item_Code).toBe('MISC');
    expect(problems).toEqual([]);
  });

  test('a library item with a blank code counts as not in the library', () => {
    expect(map({ items: [item({ id: 1, libItem: { code: '  ' } })] }, { otherItemCode: 'MISC' }).lines[0].fields.Item_Code).toBe('MISC');
  });

  test('no other item code configured: a problem naming the job item and the setting; the other lines are kept', () => {
    const { lines, problems } = map({ items: [item({ id: 1 }), item({ id: 2, name: 'Misc. hardware', libItem: null })] });
    expect(problems).toEqual([
      'job item 2 ("Misc. hardware") is not in the ServiceTrade item library and no other item code is configured (SPECTRUM_OTHER_ITEM_CODE)',
    ]);
    expect(lines.map((l) => l.jobItemId)).toEqual([1]);
  });

  test('a library code over 15 characters is a problem', () => {
    const { problems } = map({ items: [item({ id: 4, libItem: { code: 'A-VERY-LONG-CODE-16' } })] });
    expect(problems).toEqual([expect.stringContaining('item code of job item 4 "A-VERY-LONG-CODE-16" is longer than Spectrum\'s Item_Code (15)')]);
  });

  test('lines follow the job item ids, whatever the order of the items on the job', () => {
    const items = [item({ id: 3 }), item({ id: 1 }), item({ id: 2 })];
    expect(map({ items }).lines.map((l) => l.jobItemId)).toEqual([1, 2, 3]);
  });
});

describe('Summary_Description and Customer_PO_Number', () => {
  test('the description, whitespace collapsed', () => {
    expect(map({ job: { description: '  Inspect\n\nrooftop   units ' } }).header.Summary_Description).toBe('Inspect rooftop units');
  });

  test.each([null, '', '   '])('description %p: the job name', (description) => {
    expect(map({ job: { description, name: '  Quarterly   PM ' } }).header.Summary_Description).toBe('Quarterly PM');
  });

  test('cut to 250 characters, the cut reported', () => {
    const { header, truncations } = map({ job: { description: 'd'.repeat(260) } });
    expect(header.Summary_Description).toBe('d'.repeat(250));
    expect(truncations).toEqual([{ field: 'Summary_Description', maxLength: 250, originalLength: 260 }]);
  });

  test('exactly 250 characters: kept whole, nothing reported', () => {
    const { header, truncations } = map({ job: { description: 'd'.repeat(250) } });
    expect(header.Summary_Description).toHaveLength(250);
    expect(truncations).toEqual([]);
  });

  test('Customer_PO_Number cut to 25 characters, the cut reported', () => {
    const { header, truncations } = map({ job: { customerPo: 'P'.repeat(30) } });
    expect(header.Customer_PO_Number).toBe('P'.repeat(25));
    expect(truncations).toEqual([{ field: 'Customer_PO_Number', maxLength: 25, originalLength: 30 }]);
  });

  test('no PO: Customer_PO_Number blank', () => {
    expect(map({ job: { customerPo: null } }).header.Customer_PO_Number).toBe('');
  });

  test('an item name over 35 characters (the Add Work Order Material Cost page) is cut for Item_Description and reported with its job item', () => {
    const { lines, truncations } = map({ items: [item({ id: 8, name: 'n'.repeat(40) })] });
    expect(lines[0].fields.Item_Description).toBe('n'.repeat(35));
    expect(truncations).toEqual([{ field: 'Item_Description (job item 8)', maxLength: 35, originalLength: 40 }]);
  });
});

describe('dates MM/DD/CCYY and times HHMMSS in the configured time zone', () => {
  // [instant, time zone, date, time]
  const rows: Array<[string, string, string, string]> = [
    ['2025-01-15T05:30:00Z', 'America/Chicago', '01/14/2025', '233000'], // still the 14th in Chicago (UTC-6)
    ['2025-01-15T05:30:00Z', 'UTC', '01/15/2025', '053000'],
    ['2025-01-15T06:00:00Z', 'America/Chicago', '01/15/2025', '000000'], // local midnight is 00, never 24
    ['2025-01-15T00:00:00Z', 'UTC', '01/15/2025', '000000'],
    ['2024-12-31T23:59:59Z', 'UTC', '12/31/2024', '235959'],
    ['2025-01-01T03:00:00Z', 'America/Chicago', '12/31/2024', '210000'], // the year changes with the zone
    ['2025-03-09T07:59:59Z', 'America/Chicago', '03/09/2025', '015959'], // last second of CST
    ['2025-03-09T08:00:00Z', 'America/Chicago', '03/09/2025', '030000'], // DST begins: 02:00 is skipped
    ['2025-07-04T12:00:00Z', 'America/Chicago', '07/04/2025', '070000'], // CDT, UTC-5
    ['2025-11-02T06:30:00Z', 'America/Chicago', '11/02/2025', '013000'], // 01:30 CDT
    ['2025-11-02T07:30:00Z', 'America/Chicago', '11/02/2025', '013000'], // 01:30 again, CST
  ];

  test.each(rows)('%s in %s -> %s %s', (iso, timeZone, date, time) => {
    expect(spectrumDateTime(at(iso), timeZone)).toEqual({ date, time });
  });

  test('Ordered_Date/Time_Entered from created, Requested_Date from due by, Scheduled_Start_Date/Time from the scheduled date', () => {
    const { header } = map(
      { job: { created: at('2025-01-15T05:30:00Z'), dueBy: at('2025-03-09T08:00:00Z'), scheduledDate: at('2025-11-02T07:30:00Z') } },
      { timeZone: 'America/Chicago' },
    );
    expect(header).toMatchObject({
      Ordered_Date: '01/14/2025',
      Time_Entered: '233000',
      Requested_Date: '03/09/2025',
      Scheduled_Start_Date: '11/02/2025',
      Scheduled_Start_Time: '013000',
    });
  });

  test('the same job in UTC', () => {
    const { header } = map({ job: { created: at('2025-01-15T05:30:00Z') } }, { timeZone: 'UTC' });
    expect(header).toMatchObject({ Ordered_Date: '01/15/2025', Time_Entered: '053000' });
  });

  test('no due by and no scheduled date: those fields are left out (blank fields are not changed)', () => {
    const { header } = map({ job: { dueBy: null, scheduledDate: null } });
    expect(header).not.toHaveProperty('Requested_Date');
    expect(header).not.toHaveProperty('Scheduled_Start_Date');
    expect(header).not.toHaveProperty('Scheduled_Start_Time');
  });
});

describe('quantities and prices as decimals', () => {
  // [quantity, cost, price, Quantity_Used, Unit_Cost, Unit_Price, Extension]
  const rows: Array<[number, number | null, number | null, string, string | undefined, string | undefined, string | undefined]> = [
    [2, 3.5, 7.25, '2', '3.5', '7.25', '14.5'],
    [3, 0.1, 0.1, '3', '0.1', '0.1', '0.3'], // 0.1 * 3 is 0.30000000000000004 in binary
    [1.5, 10, 19.99, '1.5', '10', '19.99', '29.99'], // Spectrum's format -9.2: 2 decimals
    [0.33333333, 1, 1, '0.33', '1', '1', '0.33'], // at most 2 decimals (-7.2)
    [2.005, 1.125, 0.015, '2.01', '1.13', '0.02', '0.03'], // half away from zero
    [1e-7, 0, 0, '0', '0', '0', '0'], // never an exponent
    [1234567, 0.5, 2, '1234567', '0.5', '2', '2469134'],
    [-1, 4, 4, '-1', '4', '4', '-4'], // a returned item
    [2, null, null, '2', undefined, undefined, undefined], // no cost, no price: left out
  ];

  test.each(rows)('quantity %p, cost %p, price %p', (quantity, cost, price, qty, unitCost, unitPrice, extension) => {
    const { fields } = map({ items: [item({ quantity, cost, price })] }).lines[0];
    expect(fields.Quantity_Used).toBe(qty);
    expect(fields.Unit_Cost).toBe(unitCost);
    expect(fields.Unit_Price).toBe(unitPrice);
    expect(fields.Extension).toBe(extension);
    for (const value of [fields.Quantity_Used, fields.Unit_Cost, fields.Unit_Price, fields.Extension]) {
      if (value !== undefined) expect(value).toMatch(/^-?\d+(\.\d{1,2})?$/);
    }
  });

  test('unit of measure is sent when present and left out when not', () => {
    expect(map({ items: [item({ uom: 'EA' })] }).lines[0].fields.Unit_Of_Measure).toBe('EA');
    expect(map({ items: [item({ uom: null })] }).lines[0].fields).not.toHaveProperty('Unit_Of_Measure');
  });

  test('a unit of measure over Spectrum\'s 2 characters is left blank (Spectrum takes the item\'s unit), never cut, and noted', () => {
    const mapping = map({ items: [item({ id: 7, uom: 'each' })] });
    expect(mapping.lines[0].fields).not.toHaveProperty('Unit_Of_Measure');
    expect(mapping.notes).toEqual([expect.stringContaining('Unit_Of_Measure of job item 7 ("each")')]);
    expect(mapping.truncations).toEqual([]);
  });
});

describe('labor and travel items are not material lines', () => {
  test('a library item of type labor or travel is skipped and listed; material items (typed or not) become lines with the warehouse', () => {
    const mapping = map({
      items: [
        item({ id: 1, libItem: { code: 'FLT-2020', type: 'material' } }),
        item({ id: 2, name: 'Technician labor', libItem: { code: 'LABOR', type: 'labor' } }),
        item({ id: 3, name: 'Trip charge', libItem: { code: 'TRAVEL', type: 'Travel' } }),
        item({ id: 4, libItem: { code: 'BELT-A42' } }),
      ],
    }, { defaultWarehouseCode: 'MAIN' });
    expect(mapping.lines.map((l) => [l.jobItemId, l.fields.Item_Code, l.fields.Warehouse_Code])).toEqual([
      [1, 'FLT-2020', 'MAIN'],
      [4, 'BELT-A42', 'MAIN'],
    ]);
    expect(mapping.skippedItems.map((i) => [i.jobItemId, i.name])).toEqual([
      [2, 'Technician labor'],
      [3, 'Trip charge'],
    ]);
    expect(mapping.skippedItems[0].reason).toContain('labor');
    expect(mapping.problems).toEqual([]);
  });
});

describe('lineGroups: the unit of the convergence rule', () => {
  const items = [
    item({ id: 1, libItem: { code: 'ZETA' }, quantity: 1 }),
    item({ id: 2, libItem: { code: 'ALPHA' }, quantity: 2 }),
    item({ id: 3, libItem: { code: 'ZETA' }, quantity: 3 }),
    item({ id: 4, libItem: null, quantity: 4 }),
  ];
  const groupsOf = (jobItems: JobItemSource[]) => lineGroups(map({ items: jobItems }, { otherItemCode: 'MISC' }).lines);
  const fingerprints = (jobItems: JobItemSource[]) => Object.fromEntries(groupsOf(jobItems).map((g) => [g.itemCode, g.fingerprint]));

  test('groups by item code, codes sorted, each group with its lines', () => {
    const groups = groupsOf(items);
    expect(groups.map((g) => g.itemCode)).toEqual(['ALPHA', 'MISC', 'ZETA']);
    expect(groups.map((g) => g.lines.map((l) => l.jobItemId))).toEqual([[2], [4], [1, 3]]);
  });

  test('a fingerprint is deterministic and differs between groups of different content', () => {
    const first = fingerprints(items);
    expect(fingerprints(items)).toEqual(first);
    expect(new Set(Object.values(first)).size).toBe(3);
  });

  test('the order of the items on the job changes no fingerprint', () => {
    const first = fingerprints(items);
    expect(fingerprints([...items].reverse())).toEqual(first);
    expect(fingerprints([items[2], items[0], items[3], items[1]])).toEqual(first);
  });

  test('nor does the order the lines are handed in', () => {
    const { lines } = map({ items }, { otherItemCode: 'MISC' });
    expect(lineGroups([...lines].reverse())).toEqual(lineGroups(lines));
  });

  // [what changes, the changed item 3]
  const changes: Array<[string, JobItemSource]> = [
    ['quantity', { ...items[2], quantity: 5 }],
    ['unit price', { ...items[2], price: 8 }],
    ['unit cost', { ...items[2], cost: 1 }],
    ['name (Item_Description)', { ...items[2], name: 'Filter 24x24' }],
    ['unit of measure', { ...items[2], uom: 'BOX' }],
    ['unit of measure removed', { ...items[2], uom: null }],
  ];

  test.each(changes)('a change of one line\'s %s changes its group\'s fingerprint only', (_what, changed) => {
    const before = fingerprints(items);
    const after = fingerprints([items[0], items[1], changed, items[3]]);
    expect(after.ZETA).not.toBe(before.ZETA);
    expect(after.ALPHA).toBe(before.ALPHA);
    expect(after.MISC).toBe(before.MISC);
  });

  test('a line added to or removed from a group changes its fingerprint', () => {
    const before = fingerprints(items);
    expect(fingerprints([...items, item({ id: 9, libItem: { code: 'ZETA' }, quantity: 1 })]).ZETA).not.toBe(before.ZETA);
    expect(fingerprints([items[0], items[1], items[3]]).ZETA).not.toBe(before.ZETA);
  });

  test('a line moving to another code changes both groups', () => {
    const before = fingerprints(items);
    const after = fingerprints([items[0], items[1], { ...items[2], libItem: { code: 'ALPHA' } }, items[3]]);
    expect(after.ZETA).not.toBe(before.ZETA);
    expect(after.ALPHA).not.toBe(before.ALPHA);
  });

  test('a change of the default warehouse changes every group', () => {
    const before = fingerprints(items);
    const after = Object.fromEntries(lineGroups(map({ items }, { otherItemCode: 'MISC', defaultWarehouseCode: 'W2' }).lines).map((g) => [g.itemCode, g.fingerprint]));
    for (const code of ['ALPHA', 'MISC', 'ZETA']) expect(after[code]).not.toBe(before[code]);
  });

  test('no lines: no groups', () => {
    expect(lineGroups([])).toEqual([]);
  });
});

describe('the whole work order', () => {
  test('a complete job maps to every header field, with nothing cut and no problems', () => {
    const mapped = mapJobToWorkOrder(
      source({ job: { scheduledDate: at('2025-02-03T14:00:00Z'), dueBy: at('2025-02-07T23:00:00Z') } }),
      settings({
        workOrderNumberLeadingCharacter: 'S',
        workOrderTypeMap: [{ jobType: 'inspection', serviceLine: 'HVAC', workOrderTypeCode: 'INSP' }],
        defaultLeadSourceCode: 'ST',
        defaultWarehouseCode: 'MAIN',
        otherItemCode: 'MISC',
        timeZone: 'America/Chicago',
      }),
    );
    expect(mapped.header).toEqual({
      WO_Number: 'S12345678',
      WO_Reference_Code: 'S',
      WO_Job_Number: 'SITE01',
      Bill_Customer_Code: 'CUST01',
      WO_Job_Division: 'INSP',
      Lead_Source: 'ST',
      Summary_Description: 'Inspect rooftop units',
      Customer_PO_Number: 'PO-778',
      Ordered_Date: '01/15/2025',
      Time_Entered: '090405',
      Requested_Date: '02/07/2025',
      Scheduled_Start_Date: '02/03/2025',
      Scheduled_Start_Time: '080000',
    });
    expect(mapped.lines).toEqual([
      {
        jobItemId: 501,
        fields: {
          Item_Code: 'FLT-2020',
          Item_Description: 'Filter 20x20',
          Warehouse_Code: 'MAIN',
          Quantity_Used: '2',
          Unit_Of_Measure: 'EA',
          Unit_Cost: '3.5',
          Unit_Price: '7.25',
          Extension: '14.5',
        },
      },
    ]);
    expect(mapped.truncations).toEqual([]);
    expect(mapped.problems).toEqual([]);
  });

  test('every problem is reported at once', () => {
    const { problems } = map(
      { job: { number: '1234567890' }, customerCode: 'CUSTOMER-0001', items: [item({ id: 5, libItem: null })] },
      { workOrderNumberLeadingCharacter: 'S' },
    );
    expect(problems).toHaveLength(3);
  });

  test('the mapping is pure: the same job and settings give the same result', () => {
    expect(map()).toEqual(map());
  });
});

describe('values emptied in ServiceTrade (Spectrum never blanks a field)', () => {
  const written = { WO_Number: 'S7', Customer_PO_Number: 'PO-9', Requested_Date: '01/10/2026', Scheduled_Start_Date: '01/07/2026', Scheduled_Start_Time: '090000', Summary_Description: 'x' };

  test('the clearable fields written with a value are what the sync remembers', () => {
    expect(clearableValues(written)).toEqual({ Customer_PO_Number: 'PO-9', Requested_Date: '01/10/2026', Scheduled_Start_Date: '01/07/2026', Scheduled_Start_Time: '090000' });
    expect(clearableValues({ WO_Number: 'S7', Customer_PO_Number: '' })).toEqual({});
  });

  test('a field written before and blank now is named with the value Spectrum keeps; a changed or still-set one is not', () => {
    const now = { WO_Number: 'S7', Customer_PO_Number: '', Requested_Date: '01/12/2026', Summary_Description: 'x' };
    const kept = fieldsSpectrumKeeps('S7', clearableValues(written), now);
    expect(kept.map((k) => [k.field, k.value])).toEqual([
      ['Customer_PO_Number', 'PO-9'],
      ['Scheduled_Start_Date', '01/07/2026'],
      ['Scheduled_Start_Time', '090000'],
    ]);
    expect(kept[0].message).toBe(
      'Customer_PO_Number was emptied in ServiceTrade, but Spectrum work order S7 keeps "PO-9": Spectrum\'s web services never blank a field; clear it in Spectrum',
    );
  });

  test('nothing is reported without an earlier write, nor for a field that was never set', () => {
    expect(fieldsSpectrumKeeps('S7', undefined, { Customer_PO_Number: '' })).toEqual([]);
    expect(fieldsSpectrumKeeps('S7', { Requested_Date: '01/10/2026' }, { Customer_PO_Number: '', Requested_Date: '01/10/2026' })).toEqual([]);
  });

  test('the mapping leaves an emptied P.O. and schedule blank (Spectrum then keeps what it holds)', () => {
    const header = mapJobToWorkOrder(
      source({ job: { customerPo: null, scheduledDate: null, dueBy: null } }),
      settings(),
    ).header;
    expect(header.Customer_PO_Number).toBe('');
    expect(header).not.toHaveProperty('Scheduled_Start_Date');
    expect(header).not.toHaveProperty('Requested_Date');
  });
});
