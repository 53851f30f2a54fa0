/**
 * The Strata Java client: a smart client that reads routing metadata from coordination and
 * talks straight to partition leaders over gRPC.
 *
 * <ul>
 *   <li>{@link io.strata.client.producer.StrataProducer} batches records per partition and sends
 *       them to the leaders;</li>
 *   <li>{@link io.strata.client.consumer.StrataConsumer} long-polls assigned partitions;</li>
 *   <li>{@link io.strata.client.admin.StrataAdmin} creates, lists, describes, alters and deletes
 *       topics.</li>
 * </ul>
 *
 * <p>Every failure the server reports reaches the caller as a {@link io.strata.client.StrataException}
 * carrying the server's stable reason ({@link io.strata.proto.v1.ErrorCode}); decide retries from
 * {@link io.strata.client.StrataException#retriable()}, never from the message.
 *
 * <p>The client depends only on {@code strata-proto}, {@code strata-records} and grpc-java; it
 * never pulls in Quarkus or a service module.
 */
package io.strata.client;
