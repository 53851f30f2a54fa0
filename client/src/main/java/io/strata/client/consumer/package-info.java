/**
 * The consumer: {@link io.strata.client.consumer.StrataConsumer} reads assigned partitions by
 * long-polling their leaders. Consumer groups (subscription, committed offsets) come later;
 * today the application assigns partitions and positions itself.
 */
package io.strata.client.consumer;
