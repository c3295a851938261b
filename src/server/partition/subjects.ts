/** Partition 0 of a stream on subject S reads S; partition p > 0 reads S.p (upstream's rule). */
export function partitionSubject(streamSubject: string, partition: number): string {
  return partition === 0 ? streamSubject : `${streamSubject}.${partition}`;
}
