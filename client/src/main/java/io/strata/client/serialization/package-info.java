/**
 * Conversion of application keys and values to and from record bytes: raw bytes
 * ({@link io.strata.client.serialization.ByteArraySerializer}), UTF-8 strings
 * ({@link io.strata.client.serialization.StringSerializer}) and JSON through Jackson
 * ({@link io.strata.client.serialization.JsonSerializer},
 * {@link io.strata.client.serialization.JsonDeserializer}). Failures are
 * {@link io.strata.client.serialization.SerializationException}s naming the topic.
 */
package io.strata.client.serialization;
