// Exposition: builds a Prometheus text page from values gathered at scrape time. The one
// wrapper of prometheus-cpp: services fill a snapshot (counters, gauges, histograms with
// labels) and Render() serializes it with prometheus-cpp's TextSerializer. Not thread-safe:
// build one per scrape on the thread that owns the values.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cdn::metrics {

using Labels = std::map<std::string, std::string>;

class Exposition {
 public:
  Exposition();
  ~Exposition();
  void Counter(const std::string& name, const std::string& help, const Labels& labels, double value);
  void Gauge(const std::string& name, const std::string& help, const Labels& labels, double value);
  // Cumulative bucket counts for the given upper bounds (exclusive of +Inf), sum and count.
  void Histogram(const std::string& name, const std::string& help, const Labels& labels,
                 const std::vector<double>& bounds, const std::vector<double>& cumulative_counts, double sum,
                 double count);
  std::string Render() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cdn::metrics
