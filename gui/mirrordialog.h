#pragma once

#include <QDialog>

class QCheckBox;
class QSpinBox;

namespace podtap {

// "Mirror to local port": the port on this machine that receives a copy of every new
// connection's requests (its answers are read and dropped).
class MirrorDialog : public QDialog
{
    Q_OBJECT

public:
    explicit MirrorDialog(const QString &sessionTitle, int port, QWidget *parent = nullptr);

    int port() const;
    bool joinMidstream() const;
    void setJoinMidstream(bool join);
    // HTTP shadow comparison: each answer of the local build held against the pod's.
    bool compare() const;
    void setCompare(bool compare);

private:
    QSpinBox *m_port;
    QCheckBox *m_joinMidstream;
    QCheckBox *m_compare;
};

} // namespace podtap
