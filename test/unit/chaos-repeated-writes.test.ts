/**
 * The chaos scan counts a ServiceChannel write made twice (a retried write whose answer was lost) as
 * duplicated: the same FieldBridge note (by key, else by text) or two check-ins at the same time.
 */
import { repeatedServiceChannelWrites } from '../../chaos/verify';

const checkIn = (t: string) => ({ CheckInTime: t });

it('finds a keyed FieldBridge note written twice, an unkeyed one written twice, and a check-in written twice; not subscriber notes or distinct writes', () => {
  expect(repeatedServiceChannelWrites({ Notes: [{ NoteData: 'Dispatched [FieldBridge d:1]' }, { NoteData: 'Dispatched again [FieldBridge d:1]' }], CheckIns: [] })).toContain('written 2 times');
  expect(repeatedServiceChannelWrites({ Notes: [{ NoteData: 'On site [FieldBridge]' }, { NoteData: 'On site [FieldBridge]' }], CheckIns: [] })).toContain('written 2 times');
  expect(repeatedServiceChannelWrites({ Notes: [], CheckIns: [checkIn('2026-02-01T14:07:00.000Z'), checkIn('2026-02-01T14:07:00Z')] })).toBe('check-in at 2026-02-01T14:07:00.000Z written 2 times in ServiceChannel');
  expect(
    repeatedServiceChannelWrites({
      Notes: [{ NoteData: 'Use the back door' }, { NoteData: 'Use the back door' }, { NoteData: 'a [FieldBridge d:1]' }, { NoteData: 'a [FieldBridge d:2]' }],
      CheckIns: [checkIn('2026-02-01T14:07:00Z'), checkIn('2026-02-03T09:00:00Z')],
    }),
  ).toBeNull();
});
