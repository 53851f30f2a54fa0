/**
 * The consumer: {@link io.strata.client.consumer.StrataConsumer} reads each partition through a
 * fetch stream on its leader (one answer at a time, asked for when the partition's buffer is
 * empty), either as a member of a consumer group
 * ({@link io.strata.client.consumer.StrataConsumer#subscribe}, partitions spread by the groups
 * coordinator, committed offsets) or on partitions the application assigns itself.
 * {@link io.strata.client.consumer.ProcessedOffsets} drops the duplicates at-least-once delivery
 * brings after a rebalance or a restart.
 */
package io.strata.client.consumer;
