/**
 * Benchmark data for the job flow: ServiceTrade jobs at the mapped demo location (Northwind HQ:
 * company 1001 -> Spectrum customer C1000, location 2001 -> site S1000), repair / HVAC, with N items.
 *
 * Five items are the demo job 4001's: four from the item library (FILTER-20, BELT-A42, LABOR twice)
 * and one that is not in the library (-> the "other item" MISC): four item codes. More items repeat
 * that pattern in blocks of five, each further block with three item codes of its own from a bench
 * item library (BENCH-ITEM-01..12, seeded in ServiceTrade and Spectrum alike), so 25 items are 25
 * material lines in 16 item codes.
 */
import { demoServiceTradeData, DEMO_LOCATION_IDS } from '../connectors/servicetrade/demo-data';
import type { JobInput, JobItemInput, ServiceTradeSeed } from '../connectors/servicetrade/simulator-state';
import { demoSpectrumData } from '../connectors/spectrum/demo-data';
import type { SpectrumSeed } from '../connectors/spectrum/simulator-state';
import type { JobSource } from '../mappings/job-to-work-order';

const DEMO_LIB_ITEMS = demoServiceTradeData.libItems ?? [];
const BENCH_LIB_ITEMS = Array.from({ length: 12 }, (_, i) => ({ id: 601 + i, code: `BENCH-ITEM-${String(i + 1).padStart(2, '0')}`, name: `Bench part ${i + 1}` }));
const LIB_ITEMS = [...DEMO_LIB_ITEMS, ...BENCH_LIB_ITEMS];
const LIB_ITEM_BY_ID = new Map(LIB_ITEMS.map((item) => [item.id!, item]));

/** The mapped demo location and its service line (HVAC, id 11): job type repair -> work order type HVAC. */
const LOCATION_ID = DEMO_LOCATION_IDS.northwindHq;
const HVAC = { id: 11, name: 'HVAC', abbr: 'HVAC' };
const CUSTOMER_CODE = 'C1000';
const SITE_CODE = 'S1000';
/** 2026-01-05 09:00 UTC, Unix seconds (the demo data's). */
const CREATED = 1_767_603_600;
const DAY = 86_400;

/** ServiceTrade reference data for the bench jobs: the demo companies, locations, service lines and item library, plus the bench items; no jobs. */
export const benchServiceTradeSeed: ServiceTradeSeed = { ...demoServiceTradeData, libItems: LIB_ITEMS, jobs: [] };

/** Spectrum reference data: the demo seed plus the bench item codes. */
export const benchSpectrumSeed: SpectrumSeed = {
  ...demoSpectrumData,
  items: [...(demoSpectrumData.items ?? []), ...BENCH_LIB_ITEMS.map((item) => ({ Item_Code: item.code }))],
};

/** A bench job's items: the demo job 4001's five, then further blocks of five (see above). */
export function benchJobItems(count: number): JobItemInput[] {
  const items: JobItemInput[] = [];
  for (let i = 0; i < count; i += 1) {
    const block = Math.floor(i / 5);
    const slot = i % 5;
    // Block 0: FILTER-20, BELT-A42, LABOR; block k: three bench codes (cycling through the twelve).
    const libIds = block === 0 ? [501, 502, 503] : [0, 1, 2].map((j) => BENCH_LIB_ITEMS[(3 * (block - 1) + j) % BENCH_LIB_ITEMS.length].id);
    const bump = block * 0.5;
    switch (slot) {
      case 0:
        items.push({ libItemId: libIds[0], quantity: 4 + bump, cost: 6.5, price: 14, uom: 'each' });
        break;
      case 1:
        items.push({ libItemId: libIds[1], quantity: 2 + bump, cost: 9.25, price: 22.5, uom: 'each' });
        break;
      case 2:
        items.push({ libItemId: libIds[2], quantity: 3.5 + bump, cost: 45, price: 110, uom: 'hour', description: 'Diagnosis and repair' });
        break;
      case 3:
        items.push({ libItemId: libIds[2], quantity: 1 + bump, cost: 67.5, price: 165, uom: 'hour', description: 'After-hours labor' });
        break;
      default:
        items.push({
          libItemId: null,
          name: block === 0 ? 'Condensate pan tablets' : `Local purchase ${block + 1}`,
          description: 'Bought locally',
          quantity: 1,
          cost: 12.4 + block,
          price: 25 + 2 * block,
          uom: 'box',
        });
    }
  }
  return items;
}

/** The bench job `jobId` with `itemCount` items; its number is its id (work order S<id>). */
export function benchJob(jobId: number, itemCount: number): JobInput {
  return {
    id: jobId,
    number: String(jobId),
    name: `Bench job ${jobId}`,
    type: 'repair',
    status: 'scheduled',
    description: 'RTU-3 blows warm air; replace filters and belt, check charge.',
    locationId: LOCATION_ID,
    scheduledDate: CREATED + 2 * DAY,
    dueBy: CREATED + 5 * DAY,
    created: CREATED,
    updated: CREATED,
    refNumber: `BENCH-${jobId}`,
    customerPo: `PO-${jobId}`,
    services: [{ serviceLineId: HVAC.id, description: 'Repair rooftop unit 3' }],
    items: benchJobItems(itemCount),
  };
}

/** What loadServiceTradeJob reads of that job (for the no-op activities of the null phase). */
export function benchJobSource(jobId: number, itemCount: number): JobSource {
  const job = benchJob(jobId, itemCount);
  return {
    job: {
      id: jobId,
      number: job.number!,
      name: job.name!,
      type: job.type!,
      description: job.description ?? null,
      customerPo: job.customerPo ?? null,
      created: job.created!,
      scheduledDate: job.scheduledDate ?? null,
      dueBy: job.dueBy ?? null,
    },
    serviceLines: [HVAC],
    items: (job.items ?? []).map((item, i) => {
      const lib = item.libItemId ? LIB_ITEM_BY_ID.get(item.libItemId) : undefined;
      return {
        id: jobId * 100 + i + 1,
        name: item.name ?? lib?.name ?? '',
        description: item.description ?? null,
        quantity: item.quantity ?? 1,
        cost: item.cost ?? null,
        price: item.price ?? null,
        uom: item.uom ?? null,
        libItem: lib ? { code: lib.code } : null,
      };
    }),
    customerCode: CUSTOMER_CODE,
    siteCode: SITE_CODE,
  };
}
