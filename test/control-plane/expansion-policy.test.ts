import { describe, expect, it } from 'vitest';
import { GIB } from '../../control-plane/src/clusters/cluster-model.js';
import { plannedExpansions, type VolumeState } from '../../control-plane/src/autoscaling/expansion-policy.js';

/** Storage auto-expansion's target tracking, on its own: when, by how much, how often. */

const policy = { enabled: true, targetUtilizationPercent: 60, maxVolumeSizeGiB: 100, cooldownSeconds: 300 };
const now = new Date('2026-11-22T12:00:00Z');
const secondsAgo = (s: number) => new Date(now.getTime() - s * 1000);

function volume(sizeGiB: number, usedPercent: number, extra: Partial<VolumeState> = {}): VolumeState {
  return {
    brokerId: 1,
    sizeGiB,
    capacityBytes: sizeGiB * GIB,
    usedBytes: Math.round((sizeGiB * GIB * usedPercent) / 100),
    sampledAt: now,
    lastExpandedAt: null,
    ...extra,
  };
}

describe('storage expansion policy', () => {
  it('leaves a volume at or under the target alone', () => {
    expect(plannedExpansions(policy, [volume(10, 60), volume(10, 20)], now)).toEqual([]);
  });

  it('grows a volume above the target by 10 %', () => {
    expect(plannedExpansions(policy, [volume(50, 61, { brokerId: 4 })], now)).toEqual([
      { brokerId: 4, fromGiB: 50, toGiB: 55, utilizationPercent: expect.closeTo(61, 5) },
    ]);
  });

  it('grows a small volume by the minimum step, not by less', () => {
    expect(plannedExpansions(policy, [volume(3, 90)], now)[0]).toMatchObject({ fromGiB: 3, toGiB: 4 });
    expect(plannedExpansions(policy, [volume(3, 90)], now, 5)[0]).toMatchObject({ fromGiB: 3, toGiB: 8 });
  });

  it('rounds 10 % up to whole GiB', () => {
    expect(plannedExpansions(policy, [volume(15, 70)], now)[0]).toMatchObject({ toGiB: 17 });
  });

  it('stops at the maximum size', () => {
    expect(plannedExpansions(policy, [volume(95, 90)], now)[0]).toMatchObject({ fromGiB: 95, toGiB: 100 });
    expect(plannedExpansions(policy, [volume(100, 99)], now)).toEqual([]);
  });

  it('waits out the cooldown after an expansion', () => {
    const recently = volume(20, 90, { lastExpandedAt: secondsAgo(299), sampledAt: now });
    expect(plannedExpansions(policy, [recently], now)).toEqual([]);
    const cooled = volume(20, 90, { lastExpandedAt: secondsAgo(300), sampledAt: now });
    expect(plannedExpansions(policy, [cooled], now)).toHaveLength(1);
  });

  it('does not act on usage read before the last expansion', () => {
    const stale = volume(20, 90, { lastExpandedAt: secondsAgo(10), sampledAt: secondsAgo(20) });
    expect(plannedExpansions({ ...policy, cooldownSeconds: 0 }, [stale], now)).toEqual([]);
  });

  it('does nothing when auto-expansion is off', () => {
    expect(plannedExpansions({ ...policy, enabled: false }, [volume(10, 99)], now)).toEqual([]);
  });

  it('decides per volume', () => {
    const planned = plannedExpansions(
      policy,
      [volume(10, 90, { brokerId: 1 }), volume(10, 30, { brokerId: 2 }), volume(10, 75, { brokerId: 3 })],
      now,
    );
    expect(planned.map((e) => e.brokerId)).toEqual([1, 3]);
  });
});
