// Tests for central/central_config: the shipped configs/central.yaml parses into the expected
// struct, defaults hold for an empty file, and bad configs stop with the YAML path in the error.
#include "central/central_config.h"

#include <doctest/doctest.h>

#include <string>

namespace cdn::central {
namespace {

using Code = base::Status::Code;

TEST_CASE("configs/central.yaml loads") {
  auto c = CentralConfig::Load(LIVECDN_SOURCE_DIR "/configs/central.yaml");
  REQUIRE_MESSAGE(c.ok(), c.status().ToString());
  CHECK(c->node_id == "central-1");
  CHECK(c->rtmp_listen.ToString() == "127.0.0.1:19350");
  CHECK(c->http_listen.ToString() == "127.0.0.1:8090");
  CHECK(c->admin_listen.ToString() == "127.0.0.1:8088");
  CHECK(c->admin_token == "change-me");
  CHECK(c->gop_cache);
  CHECK(c->hls_fragment_ms == 2000);
  CHECK(c->hls_window == 6);
  CHECK(c->transcode_max == 4);
  REQUIRE(c->templates.count("sd") == 1);
  CHECK(c->templates.at("sd").width == 640);
  CHECK(c->templates.at("sd").height == 360);
  CHECK(c->templates.at("sd").video_bitrate == 800000);
  CHECK(c->templates.at("sd").audio_bitrate == 64000);
  CHECK(c->record_format == "flv");
  CHECK(c->record_segment_ms == 30 * 60 * 1000);
  CHECK(!c->record_renditions);  // renditions are not recorded unless asked
  CHECK(c->reconnect_grace_ms == 10000);
  CHECK(c->publish_idle_ms == 15000);
  CHECK(c->takeover_idle_ms == 5000);
  CHECK(c->play_wait_ms == 5000);
  CHECK(c->play_queue_bytes == 8u << 20);
  CHECK(c->play_max_skips == 8);
  REQUIRE(c->domains.size() == 2);
  CHECK(c->domains[0].name == "push.example.com");
  CHECK(c->domains[0].auth.required);
  CHECK(c->domains[0].transcode == std::vector<std::string>{"sd"});
  CHECK(c->domains[1].source == "push.example.com");
}

TEST_CASE("an empty config is all defaults") {
  auto c = CentralConfig::Parse("");
  REQUIRE_MESSAGE(c.ok(), c.status().ToString());
  CentralConfig d;
  CHECK(c->node_id == d.node_id);
  CHECK(c->rtmp_listen.ToString() == d.rtmp_listen.ToString());
  CHECK(c->max_message_size == d.max_message_size);
  CHECK(c->domains.empty());
  CHECK(c->log_level == "info");
  CHECK(!c->record_renditions);
}

TEST_CASE("record: renditions, path, format and segment") {
  auto c = CentralConfig::Parse("record: {renditions: true, path: /srv/rec, format: mp4, segment: 10m}\n");
  REQUIRE_MESSAGE(c.ok(), c.status().ToString());
  CHECK(c->record_renditions);
  CHECK(c->record_path == "/srv/rec");
  CHECK(c->record_format == "mp4");
  CHECK(c->record_segment_ms == 10 * 60 * 1000);
}

TEST_CASE("bad configs name the YAML path") {
  struct Case {
    const char* what;
    const char* yaml;
    const char* want;  // prefix of the message
  };
  const Case cases[] = {
      {"unknown top-level key", "node_id: a\nrtmpp: {listen: 1.2.3.4:5}\n", "rtmpp (line 2): unknown key 'rtmpp'"},
      {"typo in a section", "rtmp:\n  listne: 1.2.3.4:5\n", "rtmp.listne (line 2): unknown key 'listne'"},
      {"bad listen", "rtmp: {listen: nowhere}\n", "rtmp.listen (line 1): "},
      {"bad port", "http:\n  listen: 127.0.0.1:99999\n", "http.listen (line 2): bad port"},
      {"message size too small", "rtmp: {max_message_size: 10}\n", "rtmp.max_message_size (line 1): must be between"},
      {"message size too big", "rtmp: {max_message_size: 32MiB}\n", "rtmp.max_message_size (line 1): must be between"},
      {"bad duration", "publish:\n  reconnect_grace: forever\n", "publish.reconnect_grace (line 2): "},
      {"bad log level", "log_level: chatty\n", "log_level (line 1): must be debug, info, warn or error"},
      {"hls window range", "hls: {window: 1}\n", "hls.window (line 1): must be between 2 and 100"},
      {"hls fragment too short", "hls: {fragment: 100ms}\n", "hls.fragment (line 1): must be at least 500ms"},
      {"record format", "record:\n  format: avi\n", "record.format (line 2): must be flv or mp4"},
      {"record renditions", "record:\n  renditions: sometimes\n", "record.renditions (line 2): expected true or false"},
      {"play queue too small", "play: {queue: 1KiB}\n", "play.queue (line 1): must be at least 256KiB"},
      {"max_skips zero", "play: {max_skips: 0}\n", "play.max_skips (line 1): must be between"},
      {"templates not a map", "transcode: {templates: [sd]}\n", "transcode.templates (line 1): expected a map"},
      {"template key typo", "transcode:\n  templates:\n    sd: {widht: 640}\n",
       "transcode.templates.sd.widht (line 3): unknown key 'widht'"},
      {"template bitrate", "transcode:\n  templates:\n    sd: {video_bitrate: lots}\n",
       "transcode.templates.sd.video_bitrate (line 3): "},
      {"pull without source", "domains:\n  - {name: p.com, type: pull}\n", "domains[0].source: "},
      {"unknown template in a domain", "domains:\n  - {name: a.com, type: push, transcode: [hd]}\n",
       "domains (line 2): domain a.com: unknown transcode template 'hd'"},
      {"auth required without key", "domains:\n  - name: a.com\n    type: push\n    auth: {required: true}\n",
       "domains[0].auth.key: auth is required"},
      {"duplicate key", "node_id: a\nnode_id: b\n", "<string>: yaml-cpp: error at line 2, column 1: duplicate key 'node_id'"},
      {"capacity", "capacity: 10Gbits\n", "capacity (line 1): "},
      {"max_connections", "max_connections: lots\n", "max_connections (line 1): expected an integer"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    auto r = CentralConfig::Parse(c.yaml);
    REQUIRE(!r.ok());
    CHECK(r.status().code() == Code::kInvalid);
    CHECK_MESSAGE(r.status().message().rfind(c.want, 0) == 0, r.status().message());
  }
}

TEST_CASE("Load: errors name the file; a missing file is an I/O error") {
  auto missing = CentralConfig::Load("/nonexistent/central.yaml");
  REQUIRE(!missing.ok());
  CHECK(missing.status().code() == Code::kIo);
  CHECK(missing.status().message().find("/nonexistent/central.yaml") != std::string::npos);
}

}  // namespace
}  // namespace cdn::central
